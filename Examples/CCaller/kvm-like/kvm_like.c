// SPDX-License-Identifier: MIT
/*
 * A KVM-like caller of follow_pfnmap_start()/follow_pfnmap_end() for pfnspec,
 * written in kernel style against pfnspec_caller_kernel.h. The C twin of
 * KVMLikeCaller() (Sources/PfnCallers/BuiltinCallers.swift).
 *
 * The fault path of a hypervisor that maps guest frames in a secondary MMU:
 * it reads the invalidation sequence, looks the pfn up, ends the lookup, and
 * only then, under its own mmu_lock, installs a secondary-MMU entry, unless an
 * invalidation started or finished since it read the sequence, in which case
 * it looks again. Its mmu notifier zaps the entries of an invalidated range
 * and bumps the sequence. The pfn is used after end(), made safe by that
 * synchronisation: the "synchronized" profile.
 *
 * Build (what the package does for this file):
 *   cc -shared -fPIC $(pfnspec cflags) kvm_like.c -o libkvm_like.so
 *
 * The mutants in ../mutant-kvm-* include this file after defining one of the
 * KVM_LIKE_MUTANT_* switches below.
 */
#include "pfnspec_caller_kernel.h"

#ifndef KVM_LIKE_NAME
#define KVM_LIKE_NAME "kvm-like-c"
#define KVM_LIKE_SUMMARY "secondary-MMU map after end(), with an mmu notifier and an invalidation-sequence retry (C)"
#define KVM_LIKE_ROLE "implementation"
#endif

#define KVM_LIKE_MAX_SPTES 16

/* One secondary-MMU entry: the guest frame and the user address behind it. */
struct kvm_like_spte {
	gfn_t gfn;
	unsigned long hva;
};

/* The VM: its invalidation bookkeeping, its notifier and its sptes. */
struct kvm_like {
	struct kvm_mmu_invalidation inv;	/* mmu_lock, mmu_invalidate_seq, ..._in_progress */
	struct mmu_notifier mmu_notifier;
	struct kvm_like_spte sptes[KVM_LIKE_MAX_SPTES];	/* sorted by gfn */
	int nr_sptes;
};

static void kvm_like_zap_range(struct kvm_like *kvm, unsigned long start, unsigned long end)
{
	int i, kept = 0;

	for (i = 0; i < kvm->nr_sptes; i++) {
		struct kvm_like_spte *spte = &kvm->sptes[i];

		if (spte->hva >= start && spte->hva < end)
			secondary_mmu_unmap(spte->gfn);
		else
			kvm->sptes[kept++] = *spte;
	}
	kvm->nr_sptes = kept;
}

static void kvm_like_set_spte(struct kvm_like *kvm, gfn_t gfn, unsigned long hva)
{
	int i, at;

	for (i = 0; i < kvm->nr_sptes; i++) {
		if (kvm->sptes[i].gfn == gfn) {
			kvm->sptes[i].hva = hva;
			return;
		}
	}
	if (WARN_ON(kvm->nr_sptes == KVM_LIKE_MAX_SPTES))
		return;
	for (at = kvm->nr_sptes; at > 0 && kvm->sptes[at - 1].gfn > gfn; at--)
		kvm->sptes[at] = kvm->sptes[at - 1];
	kvm->sptes[at] = (struct kvm_like_spte){ .gfn = gfn, .hva = hva };
	kvm->nr_sptes++;
}

static int kvm_like_invalidate_range_start(struct mmu_notifier *mn,
					   const struct mmu_notifier_range *range)
{
	struct kvm_like *kvm = container_of(mn, struct kvm_like, mmu_notifier);

	spin_lock(&kvm->inv.mmu_lock);
	mmu_invalidate_begin(&kvm->inv);
#ifdef KVM_LIKE_MUTANT_NOTIFIER_KEEPS_MAP
	(void)range;	/* defect: the sptes of the range stay */
	(void)kvm_like_zap_range;
#else
	kvm_like_zap_range(kvm, range->start, range->end);
#endif
	spin_unlock(&kvm->inv.mmu_lock);
	return 0;
}

static void kvm_like_invalidate_range_end(struct mmu_notifier *mn,
					  const struct mmu_notifier_range *range)
{
	struct kvm_like *kvm = container_of(mn, struct kvm_like, mmu_notifier);

	(void)range;
	spin_lock(&kvm->inv.mmu_lock);
	mmu_invalidate_end(&kvm->inv);
	spin_unlock(&kvm->inv.mmu_lock);
}

/* The case is over: the secondary MMU goes with its VM. */
static void kvm_like_free_notifier(struct mmu_notifier *mn)
{
	kfree(container_of(mn, struct kvm_like, mmu_notifier));
}

static const struct mmu_notifier_ops kvm_like_mmu_notifier_ops = {
	.invalidate_range_start = kvm_like_invalidate_range_start,
	.invalidate_range_end = kvm_like_invalidate_range_end,
	.free_notifier = kvm_like_free_notifier,
};

/*
 * One VM per request, as the Swift twin has. It outlives the fault (the
 * secondary MMU keeps its entries, and the notifier must keep them honest)
 * until the host calls free_notifier(). GFP_ATOMIC: creating the VM adds no
 * sleeping call the Swift twin does not make.
 */
static struct kvm_like *kvm_like_create_vm(struct mm_struct *mm)
{
	struct kvm_like *kvm = kzalloc(sizeof(*kvm), GFP_ATOMIC);

	if (!kvm)
		return NULL;
	spin_lock_init(&kvm->inv.mmu_lock);
	kvm->mmu_notifier.ops = &kvm_like_mmu_notifier_ops;
	mmu_notifier_register(&kvm->mmu_notifier, mm);
	return kvm;
}

/* Under mmu_lock, with the sequence checked: install the spte. */
static void kvm_like_install(struct kvm_like *kvm, gfn_t gfn, unsigned long hva,
			     unsigned long pfn, bool writable)
{
	secondary_mmu_map(gfn, pfn, writable);
	kvm_like_set_spte(kvm, gfn, hva);
}

static int kvm_like_page_fault(struct vm_area_struct *vma, unsigned long hva, unsigned int flags)
{
	struct kvm_like *kvm = kvm_like_create_vm(vma->vm_mm);
	bool write_fault = flags & FOLL_WRITE;
	gfn_t gfn = hva >> PAGE_SHIFT;

	if (!kvm)
		return -ENOMEM;

	for (;;) {
		struct follow_pfnmap_args args = { .vma = vma, .address = hva };
		unsigned long mmu_seq, pfn;
		bool writable, refcounted;

		mmu_seq = kvm->inv.mmu_invalidate_seq;
		smp_rmb();

		if (follow_pfnmap_start(&args)) {
			/* Not mapped (yet): fault it in outside any window, then look again. */
			if (fixup_user_fault(vma->vm_mm, hva, write_fault ? FAULT_FLAG_WRITE : 0, NULL))
				return -EFAULT;
			continue;
		}
#ifdef KVM_LIKE_MUTANT_SLEEPS_IN_WINDOW
		kfree(kmalloc(64, GFP_KERNEL));
#endif
		pfn = args.pfn;
		writable = args.writable;
		refcounted = !args.special;
		follow_pfnmap_end(&args);

		if (write_fault && !writable) {
			if (fixup_user_fault(vma->vm_mm, hva, FAULT_FLAG_WRITE, NULL))
				return -EFAULT;
			continue;
		}

		/* Only a normal page has a refcount to hold while it is installed. */
		if (refcounted)
			get_page(pfn_to_page(pfn));

		spin_lock(&kvm->inv.mmu_lock);
#ifndef KVM_LIKE_MUTANT_NO_RETRY
		if (mmu_invalidate_retry(&kvm->inv, mmu_seq)) {
			spin_unlock(&kvm->inv.mmu_lock);
			if (refcounted)
				put_page(pfn_to_page(pfn));
			continue;
		}
#else
		(void)mmu_seq;	/* defect: no mmu_invalidate_retry() */
#endif
		kvm_like_install(kvm, gfn, hva, pfn, writable && write_fault);
		spin_unlock(&kvm->inv.mmu_lock);
		if (refcounted)
			put_page(pfn_to_page(pfn));
		return 0;
	}
}

#ifndef KVM_LIKE_PROFILE
#define KVM_LIKE_PROFILE "synchronized"
#endif

PFNSPEC_KERNEL_CALLER(KVM_LIKE_NAME, KVM_LIKE_SUMMARY, KVM_LIKE_PROFILE, KVM_LIKE_ROLE, kvm_like_page_fault)
