// SPDX-License-Identifier: MIT
/*
 * The CVE-2021-22543 shape: a page reference taken on whatever pfn a
 * VM_IO|VM_PFNMAP lookup returned, because pfn_valid() said a struct page is
 * there. The C twin of UnsafeCaller(.getPage)
 * (Sources/PfnCallers/BuiltinCallers.swift); a legacy shape, kept to fail: a
 * special entry has no refcounted page behind it, and the reference pins (or,
 * put back, frees) a page its owner still uses.
 */
#include "pfnspec_caller_kernel.h"

static int get_page_caller(struct vm_area_struct *vma, unsigned long address, unsigned int flags)
{
	struct follow_pfnmap_args args = { .vma = vma, .address = address };
	struct page *page = NULL;
	unsigned long pfn;

	(void)flags;
	if (follow_pfnmap_start(&args))
		return -EFAULT;
	pfn = args.pfn;
	/* The defect: args.special is never asked. */
	if (pfn_valid(pfn)) {
		page = pfn_to_page(pfn);
		get_page(page);
	}
	follow_pfnmap_end(&args);

	if (page)
		put_page(page);
	return 0;
}

PFNSPEC_KERNEL_CALLER("get-page-c", "get_page() on a pfnmap result, the CVE-2021-22543 shape (CL-003) (C)",
		      "synchronized", "legacy", get_page_caller)
