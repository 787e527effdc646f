// SPDX-License-Identifier: MIT
/*
 * "It is a PFN, so it is safe": end the lookup at once, then access the
 * memory. The C twin of UnsafeCaller(.endThenUse)
 * (Sources/PfnCallers/BuiltinCallers.swift); a legacy shape, kept to fail:
 * between end() and the access another CPU may zap or remap the entry, and the
 * access then reaches a pfn the address no longer maps.
 */
#include "pfnspec_caller_kernel.h"

static int end_then_use(struct vm_area_struct *vma, unsigned long address, unsigned int flags)
{
	struct follow_pfnmap_args args = { .vma = vma, .address = address };
	void __iomem *maddr;
	unsigned long pfn;
	pgprot_t prot;

	if (follow_pfnmap_start(&args))
		return -EFAULT;
	pfn = args.pfn;
	prot = args.pgprot;
	follow_pfnmap_end(&args);

	maddr = ioremap_prot(PFN_PHYS(pfn), PAGE_SIZE, pgprot_val(prot));
	if (!maddr)
		return -ENOMEM;
	if (flags & FOLL_WRITE)
		writel(0x5a5a5a5a, maddr + offset_in_page(address));
	else
		(void)readl(maddr + offset_in_page(address));
	iounmap(maddr);
	return 0;
}

PFNSPEC_KERNEL_CALLER("end-then-use-c", "end() at once, then access the pfn (CL-001) (C)", "synchronized", "legacy",
		      end_then_use)
