// SPDX-License-Identifier: MIT
/*
 * A generic_access_phys()-like caller for pfnspec, written in kernel style
 * against pfnspec_caller_kernel.h. The C twin of AccessPhysLikeCaller()
 * (Sources/PfnCallers/BuiltinCallers.swift).
 *
 * What ptrace and /proc/PID/mem do to read or write the I/O memory behind a
 * VM_IO|VM_PFNMAP address: look up pfn, pgprot and writable, end the lookup,
 * ioremap the physical page (which may sleep, so it cannot happen inside the
 * window), then look up again and, only if the second lookup reports the same
 * pfn, pgprot and writability, access the memory inside that second window.
 * On a mismatch it unmaps and starts over. Nothing is used after end(): the
 * "strict" profile.
 *
 * Build:
 *   cc -shared -fPIC $(pfnspec cflags) gap_like.c -o libgap_like.so
 *
 * The mutant in ../mutant-gap-compare-pfn-only includes this file after
 * defining GAP_LIKE_MUTANT_COMPARE_PFN_ONLY.
 */
#include "pfnspec_caller_kernel.h"

#ifndef GAP_LIKE_NAME
#define GAP_LIKE_NAME "gap-like-c"
#define GAP_LIKE_SUMMARY "generic_access_phys: a second lookup that compares, the access inside its window (C)"
#define GAP_LIKE_ROLE "implementation"
#endif

/* Whether the second lookup still describes what was ioremapped. */
static bool gap_like_same(const struct follow_pfnmap_args *args, phys_addr_t phys_addr,
			  unsigned long prot, bool writable)
{
#ifdef GAP_LIKE_MUTANT_COMPARE_PFN_ONLY
	(void)prot;
	(void)writable;
	return phys_addr == PFN_PHYS(args->pfn);	/* defect: a write through a mapping made read-only */
#else
	return prot == pgprot_val(args->pgprot) &&
	       phys_addr == PFN_PHYS(args->pfn) &&
	       writable == args->writable;
#endif
}

static int gap_like_access_phys(struct vm_area_struct *vma, unsigned long addr,
				void *buf, int len, int write)
{
	struct follow_pfnmap_args args = { .vma = vma, .address = addr };
	int offset = offset_in_page(addr);
	void __iomem *maddr;
	phys_addr_t phys_addr;
	unsigned long prot;
	bool writable;
	int ret = -EINVAL;

retry:
	if (follow_pfnmap_start(&args))
		return -EINVAL;
	prot = pgprot_val(args.pgprot);
	phys_addr = PFN_PHYS(args.pfn);
	writable = args.writable;
	follow_pfnmap_end(&args);

	if ((write & FOLL_WRITE) && !writable)
		return -EINVAL;

	maddr = ioremap_prot(phys_addr, PAGE_ALIGN(len + offset), prot);
	if (!maddr)
		return -ENOMEM;

	if (follow_pfnmap_start(&args))
		goto out_unmap;

	if (!gap_like_same(&args, phys_addr, prot, writable)) {
		follow_pfnmap_end(&args);
		iounmap(maddr);
		goto retry;
	}

	if (write & FOLL_WRITE)
		memcpy_toio(maddr + offset, buf, len);
	else
		memcpy_fromio(buf, maddr + offset, len);
	ret = 0;	/* the Swift twin answers 0, not len */
	follow_pfnmap_end(&args);
out_unmap:
	iounmap(maddr);
	return ret;
}

static int gap_like_entry(struct vm_area_struct *vma, unsigned long address, unsigned int flags)
{
	u32 value = 0x5a5a5a5a;

	return gap_like_access_phys(vma, address, &value, sizeof(value), flags & FOLL_WRITE);
}

PFNSPEC_KERNEL_CALLER(GAP_LIKE_NAME, GAP_LIKE_SUMMARY, "strict", GAP_LIKE_ROLE, gap_like_entry)
