/*
 * A caller whose mmu notifier faults: invalidate_range_start() unlocks a
 * spinlock it never took. Otherwise it looks the pfn up, ends the lookup and
 * installs a secondary-MMU entry, so that an invalidation reaches the notifier
 * both during the run and after it returned.
 */
#include "pfnspec_caller_kernel.h"

struct notifier_unlock {
	spinlock_t lock;
	struct mmu_notifier mn;
};

static int notifier_unlock_start(struct mmu_notifier *mn, const struct mmu_notifier_range *range)
{
	struct notifier_unlock *s = container_of(mn, struct notifier_unlock, mn);

	(void)range;
	spin_unlock(&s->lock);	/* the fault: never locked */
	pr_err("notifier_unlock: spin_unlock() of a lock not held returned\n");
	return 0;
}

/* How many notifiers the host let go of: the tests read it. */
__attribute__((visibility("default"))) int notifier_unlock_freed;

static void notifier_unlock_free(struct mmu_notifier *mn)
{
	kfree(container_of(mn, struct notifier_unlock, mn));
	__atomic_add_fetch(&notifier_unlock_freed, 1, __ATOMIC_SEQ_CST);
}

static const struct mmu_notifier_ops notifier_unlock_ops = {
	.invalidate_range_start = notifier_unlock_start,
	.free_notifier = notifier_unlock_free,
};

static int notifier_unlock(struct vm_area_struct *vma, unsigned long address, unsigned int flags)
{
	struct follow_pfnmap_args args = { .vma = vma, .address = address };
	struct notifier_unlock *state = kzalloc(sizeof(*state), GFP_ATOMIC);
	unsigned long pfn;

	(void)flags;
	if (!state)
		return -ENOMEM;
	spin_lock_init(&state->lock);
	state->mn.ops = &notifier_unlock_ops;
	mmu_notifier_register(&state->mn, vma->vm_mm);
	if (follow_pfnmap_start(&args))
		return -EFAULT;
	pfn = args.pfn;
	follow_pfnmap_end(&args);
	secondary_mmu_map(address >> PAGE_SHIFT, pfn, false);
	return 0;
}

PFNSPEC_KERNEL_CALLER("fault:notifier-unlock", "a notifier that unlocks a spinlock it never took", "synchronized",
		      "mutant", notifier_unlock)
