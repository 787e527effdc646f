/*
 * pfnspec_kernel_any.h: where the include folder's kernel headers lead.
 *
 * linux/mm.h, linux/pgtable.h, asm/pgtable.h, linux/lockdep.h, ... each
 * include this header, so kernel source keeps its own #include lines. A
 * walker gets pfnspec_kernel.h; a caller gets pfnspec_caller_kernel.h when it
 * is built with -DPFNSPEC_CALLER or has included pfnspec_caller_kernel.h
 * first. Everything the kernel headers declare is in those two shims: the
 * small headers only pick one.
 */
#ifndef PFNSPEC_KERNEL_ANY_H
#define PFNSPEC_KERNEL_ANY_H

#if defined(PFNSPEC_CALLER) || defined(PFNSPEC_CALLER_KERNEL_H)
#include "pfnspec_caller_kernel.h"
#else
#include "pfnspec_kernel.h"
#endif

#endif /* PFNSPEC_KERNEL_ANY_H */
