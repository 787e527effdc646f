// SPDX-License-Identifier: MIT
/*
 * A mutex taken between follow_pfnmap_start() and follow_pfnmap_end(). The C
 * twin of UnsafeCaller(.sleeper) (Sources/PfnCallers/BuiltinCallers.swift); a
 * legacy shape, kept to fail: start() returns holding a page-table spinlock,
 * and mutex_lock() may sleep.
 */
#include "pfnspec_caller_kernel.h"

static int sleeper(struct vm_area_struct *vma, unsigned long address, unsigned int flags)
{
	struct follow_pfnmap_args args = { .vma = vma, .address = address };
	DEFINE_MUTEX(sleeper_lock);	/* on the stack: runs may share the process */

	(void)flags;
	if (follow_pfnmap_start(&args))
		return -EFAULT;
	mutex_lock(&sleeper_lock);	/* the defect: may sleep under the PTL */
	follow_pfnmap_end(&args);
	mutex_unlock(&sleeper_lock);
	return 0;
}

PFNSPEC_KERNEL_CALLER("sleeper-c", "mutex_lock() between start() and end() (CL-004) (C)", "synchronized", "legacy",
		      sleeper)
