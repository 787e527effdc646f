// SPDX-License-Identifier: MIT
/*
 * An example follow_pfnmap_start()/follow_pfnmap_end() for pfnspec, written
 * for this project in the shape of mm/memory.c: the kernel's #include lines,
 * a plain *pgdp, READ_ONCE(*p4dp), pmdp_get_lockless(), a CONFIG_LOCKDEP
 * block, EXPORT_SYMBOL_GPL. The only line a kernel file would not have is
 * PFNSPEC_KERNEL_WALKER at the end.
 *
 * It looks up the leaf that maps an address of a VM_IO/VM_PFNMAP VMA at PUD,
 * PMD or PTE level, and returns with the lock that keeps that leaf stable held
 * until follow_pfnmap_end(). A huge entry is read without its lock first; only
 * a present leaf is worth locking, and once locked it is read again, because
 * it may have been zapped or split meanwhile.
 *
 * Build (what the package does for this file):
 *   cc -shared -fPIC $(pfnspec cflags) follow_pfnmap.c -o libexample.so
 *
 * The mutants in ../mutant-* include this file after defining one of the
 * PFNSPEC_EXAMPLE_MUTANT_* switches below.
 */
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/mmu_notifier.h>
#include <linux/export.h>
#include <linux/lockdep.h>
#include <linux/bug.h>
#include <asm/pgtable.h>

#ifndef PFNSPEC_EXAMPLE_NAME
#define PFNSPEC_EXAMPLE_NAME "example-c"
#define PFNSPEC_EXAMPLE_SUMMARY "the kernel-style C example walker (Examples/CWalker), loaded as a plug-in"
#define PFNSPEC_EXAMPLE_ROLE "implementation"
#endif

/* Whether the lock assertion may look at the VMA's file. */
#ifdef PFNSPEC_EXAMPLE_MUTANT_DEREF_NULL_FILE
#define vma_has_file(vma) 1 /* defect: trusts every VMA to have a file */
#else
#define vma_has_file(vma) ((vma)->vm_file != NULL)
#endif

/*
 * The caller keeps the VMA and its page tables alive: mmap_lock, or for a
 * file mapping its i_mmap_rwsem. A VMA without a file has no mapping to ask.
 */
static inline void pfnmap_lockdep_assert(struct vm_area_struct *vma)
{
#ifdef CONFIG_LOCKDEP
	struct mm_struct *mm = vma->vm_mm;

	if (!vma_has_file(vma)) {
		lockdep_assert(lockdep_is_held(&mm->mmap_lock));
		return;
	}
	lockdep_assert(lockdep_is_held(&vma->vm_file->f_mapping->i_mmap_rwsem) ||
		       lockdep_is_held(&mm->mmap_lock));
#endif
}

/* Copies what the leaf says into the outputs and keeps what end() releases. */
static inline void pfnmap_fill_args(struct follow_pfnmap_args *args,
				    unsigned long mask, unsigned long pfn,
				    pgprot_t prot, bool writable, bool special,
				    spinlock_t *lock, pte_t *ptep)
{
	args->pfn = pfn + ((args->address & ~mask) >> PAGE_SHIFT);
	args->pgprot = prot;
	args->writable = writable;
	args->special = special;
	args->addr_mask = mask;
	args->lock = lock;
	args->ptep = ptep;
}

/* What to do after looking at a huge entry. */
enum huge_step { HUGE_REPORTED, HUGE_FAILED, HUGE_RETRY, HUGE_TABLE };

static enum huge_step try_pud_leaf(struct follow_pfnmap_args *args,
				   struct mm_struct *mm, pud_t *pudp)
{
	pud_t pud = pudp_get(pudp);
	spinlock_t *lock;

	if (!pud_present(pud))
		return HUGE_FAILED;
	if (!pud_leaf(pud))
		return HUGE_TABLE;

	lock = pud_lock(mm, pudp);
	pud = pudp_get(pudp);
	if (unlikely(!pud_present(pud))) {
		spin_unlock(lock);
		return HUGE_FAILED;
	}
	if (unlikely(!pud_leaf(pud))) {
		/* Split while we were taking the lock: walk again. */
		spin_unlock(lock);
		return HUGE_RETRY;
	}
	pfnmap_fill_args(args, PUD_MASK, pud_pfn(pud), pud_pgprot(pud),
		     pud_write(pud), pud_special(pud), lock, NULL);
	return HUGE_REPORTED;
}

static enum huge_step try_pmd_leaf(struct follow_pfnmap_args *args,
				   struct mm_struct *mm, pmd_t *pmdp)
{
#ifdef PFNSPEC_EXAMPLE_MUTANT_PLAIN_READ_PMD
	pmd_t pmd = *pmdp; /* defect: a plain read another CPU's zap or split races with */
#else
	pmd_t pmd = pmdp_get_lockless(pmdp);
#endif
	spinlock_t *lock;

	if (!pmd_present(pmd))
		return HUGE_FAILED;
	if (!pmd_leaf(pmd))
		return HUGE_TABLE;

	lock = pmd_lock(mm, pmdp);
	pmd = pmdp_get(pmdp);
	if (unlikely(!pmd_present(pmd))) {
		spin_unlock(lock);
		return HUGE_FAILED;
	}
	if (unlikely(!pmd_leaf(pmd))) {
		spin_unlock(lock);
		return HUGE_RETRY;
	}
	pfnmap_fill_args(args, PMD_MASK, pmd_pfn(pmd), pmd_pgprot(pmd),
		     pmd_write(pmd), pmd_special(pmd), lock, NULL);
	return HUGE_REPORTED;
}

int follow_pfnmap_start(struct follow_pfnmap_args *args)
{
	struct vm_area_struct *vma = args->vma;
	unsigned long address = args->address;
	struct mm_struct *mm = vma->vm_mm;
	spinlock_t *lock;
	pgd_t *pgdp;
	p4d_t *p4dp, p4d;
	pud_t *pudp;
	pmd_t *pmdp;
	pte_t *ptep, pte;

	pfnmap_lockdep_assert(vma);

	if (unlikely(address < vma->vm_start || address >= vma->vm_end))
		return -EINVAL;
	if (!(vma->vm_flags & (VM_IO | VM_PFNMAP)))
		return -EINVAL;

again:
	/* The kernel reads the top level plainly: pgd entries do not go away under us. */
	pgdp = pgd_offset(mm, address);
	if (pgd_none(*pgdp) || unlikely(pgd_bad(*pgdp)))
		return -EINVAL;

	p4dp = p4d_offset(pgdp, address);
	p4d = READ_ONCE(*p4dp);
	if (p4d_none(p4d) || unlikely(p4d_bad(p4d)))
		return -EINVAL;

	pudp = pud_offset(p4dp, address);
	switch (try_pud_leaf(args, mm, pudp)) {
	case HUGE_REPORTED:
		return 0;
	case HUGE_FAILED:
		return -EINVAL;
	case HUGE_RETRY:
		goto again;
	case HUGE_TABLE:
		break;
	}

	pmdp = pmd_offset(pudp, address);
	switch (try_pmd_leaf(args, mm, pmdp)) {
	case HUGE_REPORTED:
		return 0;
	case HUGE_FAILED:
		return -EINVAL;
	case HUGE_RETRY:
		goto again;
	case HUGE_TABLE:
		break;
	}

	ptep = pte_offset_map_lock(mm, pmdp, address, &lock);
	if (!ptep)
		return -EINVAL;
	pte = ptep_get(ptep);
	if (!pte_present(pte)) {
#ifndef PFNSPEC_EXAMPLE_MUTANT_LEAK_LOCK
		pte_unmap_unlock(ptep, lock);
#endif
		return -EINVAL;
	}
	pfnmap_fill_args(args, PAGE_MASK, pte_pfn(pte), pte_pgprot(pte),
		     pte_write(pte), pte_special(pte), lock, ptep);
	return 0;
}
EXPORT_SYMBOL_GPL(follow_pfnmap_start);

void follow_pfnmap_end(struct follow_pfnmap_args *args)
{
	if (args->lock)
		spin_unlock(args->lock);
	if (args->ptep)
		pte_unmap(args->ptep);
}
EXPORT_SYMBOL_GPL(follow_pfnmap_end);

PFNSPEC_KERNEL_WALKER(PFNSPEC_EXAMPLE_NAME, PFNSPEC_EXAMPLE_SUMMARY, "6.15", "strict",
		      PFNSPEC_EXAMPLE_ROLE)
