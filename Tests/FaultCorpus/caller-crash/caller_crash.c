/*
 * A caller that crashes: it ends its lookup, then reads memory at the pfn's
 * physical address as if it were mapped in the caller's address space. Every
 * case dies of SIGSEGV in the worker; the run must go on and name the crash.
 */
#include "pfnspec_caller_kernel.h"

static int caller_crash(struct vm_area_struct *vma, unsigned long address, unsigned int flags)
{
	struct follow_pfnmap_args args = { .vma = vma, .address = address };
	volatile unsigned long *wild;

	(void)flags;
	if (follow_pfnmap_start(&args))
		return -EINVAL;
	follow_pfnmap_end(&args);
	wild = (volatile unsigned long *)(uintptr_t)8;	/* a pfn is not a pointer */
	return (int)*wild;
}

PFNSPEC_KERNEL_CALLER("caller-crash", "dereferences a wild pointer after its lookup", "strict", "mutant",
		      caller_crash)
