/*
 * A caller that hangs: after its lookup it spins without calling the host, so
 * no step limit can stop it. The worker's timeout must kill it, and the run
 * must go on with an error verdict that names the timeout.
 */
#include "pfnspec_caller_kernel.h"

static int caller_hang(struct vm_area_struct *vma, unsigned long address, unsigned int flags)
{
	struct follow_pfnmap_args args = { .vma = vma, .address = address };
	volatile unsigned long spins = 0;

	(void)flags;
	if (follow_pfnmap_start(&args))
		return -EINVAL;
	follow_pfnmap_end(&args);
	for (;;)
		spins++;
	return 0;
}

PFNSPEC_KERNEL_CALLER("caller-hang", "spins for ever after its lookup, without a host call", "strict", "mutant",
		      caller_hang)
