/* mm/pgalloc-track.h for pfnspec: mm/memory.c includes it; the kernel shim has what a walker needs from it. */
#include "pfnspec_kernel_any.h"
