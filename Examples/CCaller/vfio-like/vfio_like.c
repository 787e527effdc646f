// SPDX-License-Identifier: MIT
/*
 * A VFIO type1-like DMA map for pfnspec, in kernel style against
 * pfnspec_caller_kernel.h: the C twin of UnsafeCaller(.vfioLike)
 * (Sources/PfnCallers/BuiltinCallers.swift). A legacy shape, kept to fail.
 *
 * Before VFIO learned to revoke DMA mappings of a BAR, its type1 backend
 * pinned a VM_PFNMAP range by looking up each pfn, ending the lookup, and
 * putting the pfn into the IOMMU. No mmu notifier takes it out again: when the
 * BAR is zapped (the device is reset, the region revoked), the IOMMU still
 * maps the old pfn and the device keeps writing to it.
 */
#include "pfnspec_caller_kernel.h"

#define VFIO_LIKE_IOVA 0x100000UL

static struct iommu_domain vfio_like_domain;

static int vfio_like_follow_fault_pfn(struct vm_area_struct *vma, unsigned long vaddr,
				      unsigned long *pfn, bool *writable)
{
	struct follow_pfnmap_args args = { .vma = vma, .address = vaddr };

	if (follow_pfnmap_start(&args))
		return -EFAULT;
	*pfn = args.pfn;
	*writable = args.writable;
	follow_pfnmap_end(&args);
	return 0;
}

static int vfio_like_dma_map(struct vm_area_struct *vma, unsigned long vaddr, unsigned int flags)
{
	unsigned long pfn;
	bool writable;
	int prot, ret;

	(void)flags;
	ret = vfio_like_follow_fault_pfn(vma, vaddr, &pfn, &writable);
	if (ret)
		return ret;

	/* After end(): nothing keeps the pfn from being revoked from now on. */
	prot = IOMMU_READ | (writable ? IOMMU_WRITE : 0);
	return iommu_map(&vfio_like_domain, VFIO_LIKE_IOVA, PFN_PHYS(pfn), PAGE_SIZE, prot, GFP_KERNEL);
}

PFNSPEC_KERNEL_CALLER("vfio-like-c", "IOMMU map after end() with no notifier: the device keeps a revoked pfn (CL-002) (C)",
		      "synchronized", "legacy", vfio_like_dma_map)
