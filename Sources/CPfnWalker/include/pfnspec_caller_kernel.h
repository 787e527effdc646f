/*
 * pfnspec_caller_kernel.h: the kernel's names for code that uses
 * follow_pfnmap_start()/follow_pfnmap_end(), on top of the pfnspec caller ABI
 * (pfnspec_caller.h).
 *
 * A caller written the way KVM, VFIO or mm/memory.c's generic_access_phys()
 * are written compiles against this header with few edits: the lookups, the
 * mmap_lock, fixup_user_fault(), the calls that may sleep (might_sleep(),
 * mutex_lock(), kmalloc(GFP_KERNEL), ioremap_prot()), the caller's own
 * spinlocks, mmu notifiers, KVM's invalidation bookkeeping, and the uses of a
 * pfn (an access through an ioremap, an IOMMU map, a secondary-MMU or device
 * table entry, a page reference) all go to the host, where the runner judges
 * each against the page tables at that moment and lets another CPU act.
 *
 * End the caller's source with
 *
 *   PFNSPEC_KERNEL_CALLER("my-caller", "one line about it", "synchronized", "implementation", my_entry)
 *
 * where my_entry is int my_entry(struct vm_area_struct *vma, unsigned long address,
 * unsigned int flags) (FOLL_WRITE in flags when the request writes; 0 or a
 * negative errno back). The macro defines the ABI's exports. A file that uses
 * this header without it does not link: the linker names the missing symbol,
 * pfnspec_current_caller_host__defined_by_PFNSPEC_KERNEL_CALLER.
 *
 * The current host is thread-local, so runs of one plug-in may go on side by
 * side in one process. State that outlives the entry (a notifier and what it
 * guards) belongs in memory allocated per request (GFP_ATOMIC: no sleeping
 * call) and freed by the notifier's free_notifier(), not in a static. See
 * docs/callers.md.
 */
#ifndef PFNSPEC_CALLER_KERNEL_H
#define PFNSPEC_CALLER_KERNEL_H

#ifdef PFNSPEC_KERNEL_H
#error "pfnspec_kernel.h is for walkers and pfnspec_caller_kernel.h for callers: include one of them, not both"
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfnspec_caller.h"
#include "pfnspec_kernel_types.h"

/* The host of the call in progress, set by PFNSPEC_KERNEL_CALLER's exports. */
#define pfnspec_current_caller_host pfnspec_current_caller_host__defined_by_PFNSPEC_KERNEL_CALLER
extern _Thread_local const struct pfnspec_caller_host *pfnspec_current_caller_host __attribute__((visibility("hidden")));

#define PFNSPEC__H pfnspec_current_caller_host

/* ---- Types and numbers ----------------------------------------------------- */

typedef uint8_t u8;
typedef uint32_t u32;
typedef uint64_t u64;
typedef uint64_t phys_addr_t;
typedef uint64_t resource_size_t;
typedef uint64_t dma_addr_t;
typedef uint64_t gfn_t;
typedef unsigned int gfp_t;

#define EAGAIN 11
#define ENOMEM 12
#define EFAULT 14
#define EBUSY 16

#define FOLL_WRITE 0x01u       /* the entry's flags: the request writes */
#define FAULT_FLAG_WRITE 0x01u /* fixup_user_fault()'s fault_flags */
_Static_assert(FOLL_WRITE == PFNSPEC_CALLER_WRITE, "FOLL_WRITE is the ABI's write bit");

#define __iomem
#define PHYS_PFN(x) ((unsigned long)((x) >> PAGE_SHIFT))
#define PFN_PHYS(x) ((phys_addr_t)(x) << PAGE_SHIFT)
#define offset_in_page(p) ((unsigned long)(p) & ~PAGE_MASK)
#define PAGE_ALIGN(x) (((x) + PAGE_SIZE - 1) & PAGE_MASK)

#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* Barriers: the callbacks run on "the other CPU" of the model, in this thread. */
#define barrier() __asm__ __volatile__("" ::: "memory")
#define smp_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define smp_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#define smp_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)

/* ---- Glue: every call goes to the host; a faulting call ends the run ------ */

static inline __attribute__((noreturn)) void pfnspec__abandon(void) {
  PFNSPEC__H->abandon(PFNSPEC__H);
  __builtin_unreachable();
}

#define PFNSPEC__CALL(name, ...)                                                  \
  do {                                                                            \
    if (unlikely(PFNSPEC__H->name(PFNSPEC__H->ctx, ##__VA_ARGS__) != 0)) pfnspec__abandon(); \
  } while (0)

/* ---- Lookups: follow_pfnmap_start()/end(), served by the run's walker ------ */

static inline int follow_pfnmap_start(struct follow_pfnmap_args *args) {
  int result = 0;
  PFNSPEC__CALL(follow_pfnmap_start, (struct pfnspec_args *)(void *)args, &result);
  return result;
}

static inline void follow_pfnmap_end(struct follow_pfnmap_args *args) {
  PFNSPEC__CALL(follow_pfnmap_end, (struct pfnspec_args *)(void *)args);
}

/* ---- mmap_lock, faults, sleeping ------------------------------------------- */

static inline void mmap_read_lock(struct mm_struct *mm) {
  (void)mm;
  PFNSPEC__CALL(mmap_read_lock);
}

static inline void mmap_read_unlock(struct mm_struct *mm) {
  (void)mm;
  PFNSPEC__CALL(mmap_read_unlock);
}

/* 0 when address is mapped (writable with FAULT_FLAG_WRITE), -EFAULT otherwise. May sleep. */
static inline int fixup_user_fault(struct mm_struct *mm, unsigned long address, unsigned int fault_flags,
                                   bool *unlocked) {
  int result = 0;
  (void)mm;
  PFNSPEC__CALL(fixup_user_fault, address, (fault_flags & FAULT_FLAG_WRITE) != 0, &result);
  if (unlocked) *unlocked = false;
  return result;
}

/* Anything that may sleep, under the name the report shows. */
static inline void pfnspec_might_sleep(const char *what) { PFNSPEC__CALL(might_sleep, what); }
#define might_sleep() pfnspec_might_sleep("might_sleep()")
#define cond_resched() pfnspec_might_sleep("cond_resched()")

/* A sleeping lock: taking it may sleep. */
struct mutex {
  int pfnspec_held;
};
#define DEFINE_MUTEX(name) struct mutex name = {0}
static inline void mutex_init(struct mutex *lock) { lock->pfnspec_held = 0; }
static inline void mutex_lock(struct mutex *lock) {
  pfnspec_might_sleep("mutex_lock()");
  WARN_ON(lock->pfnspec_held);
  lock->pfnspec_held = 1;
}
static inline void mutex_unlock(struct mutex *lock) {
  WARN_ON(!lock->pfnspec_held);
  lock->pfnspec_held = 0;
}

/* Allocation: GFP_KERNEL may sleep, GFP_ATOMIC and GFP_NOWAIT do not. */
#define __GFP_DIRECT_RECLAIM 0x400u
#define __GFP_ZERO 0x100u
#define GFP_ATOMIC 0x20u
#define GFP_NOWAIT 0x800u
#define GFP_KERNEL (__GFP_DIRECT_RECLAIM | 0xc0u)
#define gfpflags_allow_blocking(gfp) (((gfp) & __GFP_DIRECT_RECLAIM) != 0)

static inline void *kmalloc(size_t size, gfp_t gfp) {
  if (gfpflags_allow_blocking(gfp)) pfnspec_might_sleep("kmalloc(GFP_KERNEL)");
  return (gfp & __GFP_ZERO) ? calloc(1, size) : malloc(size);
}
static inline void *kzalloc(size_t size, gfp_t gfp) { return kmalloc(size, gfp | __GFP_ZERO); }
static inline void kfree(const void *p) { free((void *)p); }

/* ---- The caller's own spinlocks -------------------------------------------- */

/* A caller-owned spinlock (KVM's mmu_lock): embed it, spin_lock_init() it once. */
typedef struct {
  uint64_t pfnspec_id; /* from the host; 0 until spin_lock_init() */
} spinlock_t;

static inline void spin_lock_init(spinlock_t *lock) {
  uint64_t id = 0;
  PFNSPEC__CALL(spin_lock_init, &id);
  lock->pfnspec_id = id;
}
static inline void spin_lock(spinlock_t *lock) { PFNSPEC__CALL(spin_lock, lock->pfnspec_id); }
static inline void spin_unlock(spinlock_t *lock) { PFNSPEC__CALL(spin_unlock, lock->pfnspec_id); }

/* ---- mmu notifiers ------------------------------------------------------------ */

/* What the other CPU does to the range. */
enum mmu_notifier_event {
  MMU_NOTIFY_UNMAP = PFNSPEC_NOTIFY_ZAP,
  MMU_NOTIFY_CLEAR = PFNSPEC_NOTIFY_REMAP,
  MMU_NOTIFY_PROTECTION_VMA = PFNSPEC_NOTIFY_MPROTECT,
  MMU_NOTIFY_MIGRATE = PFNSPEC_NOTIFY_NONPRESENT,
};

struct mmu_notifier_range {
  struct mm_struct *mm;
  unsigned long start;
  unsigned long end; /* one past the last byte */
  unsigned int event; /* enum pfnspec_notify_event */
};

struct mmu_notifier;

struct mmu_notifier_ops {
  int (*invalidate_range_start)(struct mmu_notifier *subscription, const struct mmu_notifier_range *range);
  void (*invalidate_range_end)(struct mmu_notifier *subscription, const struct mmu_notifier_range *range);
  /* The case is over and the notifier still registered: free what embeds it. No host calls. */
  void (*free_notifier)(struct mmu_notifier *subscription);
};

/* Embed in the caller's struct; set ops before mmu_notifier_register(). */
struct mmu_notifier {
  struct pfnspec_notifier pfnspec; /* the ABI's notifier */
  const struct mmu_notifier_ops *ops;
  struct mm_struct *mm;
  uint64_t pfnspec_id;
};

static inline int pfnspec__notifier_start(struct pfnspec_notifier *notifier,
                                          const struct pfnspec_notifier_range *r) {
  struct mmu_notifier *subscription = container_of(notifier, struct mmu_notifier, pfnspec);
  const struct pfnspec_caller_host *outer = PFNSPEC__H;
  struct mmu_notifier_range range = {subscription->mm, r->start, r->end, r->event};
  int ret = 0;
  PFNSPEC__H = notifier->host;
  if (subscription->ops && subscription->ops->invalidate_range_start)
    ret = subscription->ops->invalidate_range_start(subscription, &range);
  PFNSPEC__H = outer;
  return ret;
}

static inline void pfnspec__notifier_end(struct pfnspec_notifier *notifier,
                                         const struct pfnspec_notifier_range *r) {
  struct mmu_notifier *subscription = container_of(notifier, struct mmu_notifier, pfnspec);
  const struct pfnspec_caller_host *outer = PFNSPEC__H;
  struct mmu_notifier_range range = {subscription->mm, r->start, r->end, r->event};
  PFNSPEC__H = notifier->host;
  if (subscription->ops && subscription->ops->invalidate_range_end)
    subscription->ops->invalidate_range_end(subscription, &range);
  PFNSPEC__H = outer;
}

static inline void pfnspec__notifier_free(struct pfnspec_notifier *notifier) {
  struct mmu_notifier *subscription = container_of(notifier, struct mmu_notifier, pfnspec);
  if (subscription->ops && subscription->ops->free_notifier) subscription->ops->free_notifier(subscription);
}

/*
 * The notifier's callbacks run from now on, also after the entry returned,
 * until mmu_notifier_unregister() or the end of the case (then free_notifier()).
 */
static inline int mmu_notifier_register(struct mmu_notifier *subscription, struct mm_struct *mm) {
  static const struct pfnspec_notifier_ops trampolines = {pfnspec__notifier_start, pfnspec__notifier_end,
                                                          pfnspec__notifier_free};
  uint64_t id = 0;
  subscription->pfnspec.ops = &trampolines;
  subscription->pfnspec.host = PFNSPEC__H;
  subscription->mm = mm;
  PFNSPEC__CALL(register_notifier, &subscription->pfnspec, &id);
  subscription->pfnspec_id = id;
  return 0;
}

static inline void mmu_notifier_unregister(struct mmu_notifier *subscription, struct mm_struct *mm) {
  (void)mm;
  PFNSPEC__CALL(unregister_notifier, subscription->pfnspec_id);
}

/* ---- KVM's invalidation bookkeeping -------------------------------------------- */

/*
 * struct kvm's mmu_lock, mmu_invalidate_seq and mmu_invalidate_in_progress:
 * the notifier calls begin() and end() under mmu_lock; the fault path reads
 * the sequence before its lookup and, under mmu_lock, installs what it found
 * only if mmu_invalidate_retry() says no invalidation ran meanwhile.
 */
struct kvm_mmu_invalidation {
  spinlock_t mmu_lock;
  unsigned long mmu_invalidate_seq;
  long mmu_invalidate_in_progress;
};

static inline void mmu_invalidate_begin(struct kvm_mmu_invalidation *kvm) {
  kvm->mmu_invalidate_in_progress++;
}

static inline void mmu_invalidate_end(struct kvm_mmu_invalidation *kvm) {
  kvm->mmu_invalidate_seq++;
  smp_wmb();
  kvm->mmu_invalidate_in_progress--;
}

/* Under mmu_lock: whether an invalidation is running or ran since seq was read. */
static inline int mmu_invalidate_retry(struct kvm_mmu_invalidation *kvm, unsigned long seq) {
  if (unlikely(kvm->mmu_invalidate_in_progress)) return 1;
  smp_rmb();
  if (kvm->mmu_invalidate_seq != seq) return 1;
  return 0;
}

/* ---- Uses of a pfn: I/O memory ----------------------------------------------------- */

/* An ioremap cookie: the physical address above a base no user pointer has. */
#define PFNSPEC__IOMEM_BASE 0x10e0000000000000ULL

static inline void __iomem *ioremap_prot(phys_addr_t phys, size_t size, unsigned long prot) {
  (void)size;
  (void)prot;
  pfnspec_might_sleep("ioremap_prot()");
  return (void __iomem *)(uintptr_t)(PFNSPEC__IOMEM_BASE + phys);
}
static inline void __iomem *ioremap(phys_addr_t phys, size_t size) { return ioremap_prot(phys, size, 0); }
static inline void iounmap(volatile void __iomem *addr) {
  (void)addr;
  pfnspec_might_sleep("iounmap()");
}

static inline unsigned long pfnspec__iomem_pfn(const volatile void __iomem *addr) {
  return PHYS_PFN((uint64_t)(uintptr_t)addr - PFNSPEC__IOMEM_BASE);
}

/* One access per page touched; the model has no contents, reads give zeros. */
static inline void pfnspec__io(const volatile void __iomem *addr, size_t count, bool write) {
  unsigned long first = pfnspec__iomem_pfn(addr);
  unsigned long last = count ? pfnspec__iomem_pfn((const volatile char *)addr + count - 1) : first;
  for (unsigned long pfn = first; pfn <= last; pfn++) PFNSPEC__CALL(access, pfn, write);
}

static inline void memcpy_fromio(void *to, const volatile void __iomem *from, size_t count) {
  pfnspec__io(from, count, false);
  memset(to, 0, count);
}
static inline void memcpy_toio(volatile void __iomem *to, const void *from, size_t count) {
  (void)from;
  pfnspec__io(to, count, true);
}
static inline u32 readl(const volatile void __iomem *addr) {
  pfnspec__io(addr, 4, false);
  return 0;
}
static inline void writel(u32 value, volatile void __iomem *addr) {
  (void)value;
  pfnspec__io(addr, 4, true);
}

/* ---- Uses of a pfn: maps that outlive the call ----------------------------------- */

#define IOMMU_READ (1 << 0)
#define IOMMU_WRITE (1 << 1)

struct iommu_domain {
  int pfnspec_unused;
};

/* May sleep with a blocking gfp (it allocates IOMMU page tables). */
static inline int iommu_map(struct iommu_domain *domain, unsigned long iova, phys_addr_t paddr, size_t size,
                            int prot, gfp_t gfp) {
  (void)domain;
  if (gfpflags_allow_blocking(gfp)) pfnspec_might_sleep("iommu_map(GFP_KERNEL)");
  PFNSPEC__CALL(map, PFNSPEC_MAP_IOMMU, iova, PHYS_PFN(paddr), size >> PAGE_SHIFT, (prot & IOMMU_WRITE) != 0);
  return 0;
}

static inline size_t iommu_unmap(struct iommu_domain *domain, unsigned long iova, size_t size) {
  (void)domain;
  PFNSPEC__CALL(unmap, PFNSPEC_MAP_IOMMU, iova);
  return size;
}

/* A secondary MMU (KVM's sptes), keyed by gfn. */
static inline void secondary_mmu_map(gfn_t gfn, unsigned long pfn, bool writable) {
  PFNSPEC__CALL(map, PFNSPEC_MAP_SECONDARY_MMU, gfn, pfn, 1, writable);
}
static inline void secondary_mmu_unmap(gfn_t gfn) { PFNSPEC__CALL(unmap, PFNSPEC_MAP_SECONDARY_MMU, gfn); }

/* A device's own table (ACRN's EPT, a GPU page table), keyed by index. */
static inline void device_table_map(unsigned long index, unsigned long pfn, bool writable) {
  PFNSPEC__CALL(map, PFNSPEC_MAP_DEVICE_TABLE, index, pfn, 1, writable);
}
static inline void device_table_unmap(unsigned long index) {
  PFNSPEC__CALL(unmap, PFNSPEC_MAP_DEVICE_TABLE, index);
}

/* ---- Uses of a pfn: struct page ------------------------------------------------ */

/*
 * Every pfn of the model has a memmap entry, so pfn_valid() says yes: it
 * cannot tell a refcounted page from a special one (only args.special can),
 * which is what made CVE-2021-22543 possible. struct page * is an opaque
 * handle: never dereference it.
 */
struct page;
#define PFNSPEC__PAGE_BASE 0x10f0000000000000ULL
static inline int pfn_valid(unsigned long pfn) {
  (void)pfn;
  return 1;
}
static inline struct page *pfn_to_page(unsigned long pfn) {
  return (struct page *)(uintptr_t)(PFNSPEC__PAGE_BASE + ((uint64_t)pfn << 6));
}
static inline unsigned long page_to_pfn(const struct page *page) {
  return (unsigned long)(((uint64_t)(uintptr_t)page - PFNSPEC__PAGE_BASE) >> 6);
}
static inline void get_page(struct page *page) { PFNSPEC__CALL(get_page, page_to_pfn(page)); }
static inline void put_page(struct page *page) { PFNSPEC__CALL(put_page, page_to_pfn(page)); }

/* ---- The ABI's exports, around the entry function ---------------------------------- */

#define PFNSPEC_KERNEL_CALLER(NAME, SUMMARY, PROFILE, ROLE, ENTRY)                                  \
  _Thread_local const struct pfnspec_caller_host *pfnspec_current_caller_host;                     \
  __attribute__((visibility("default"))) const struct pfnspec_caller_info *                        \
  pfnspec_caller_describe(void) {                                                                  \
    static const struct pfnspec_caller_info info = {                                               \
        PFNSPEC_CALLER_ABI_VERSION, sizeof(struct pfnspec_caller_info), NAME, SUMMARY, PROFILE, ROLE}; \
    return &info;                                                                                  \
  }                                                                                                \
  __attribute__((visibility("default"))) int pfnspec_caller_run(                                   \
      const struct pfnspec_caller_host *host, struct pfnspec_vma *vma, uint64_t address,           \
      uint32_t flags) {                                                                            \
    int (*entry)(struct vm_area_struct *, unsigned long, unsigned int) = ENTRY;                    \
    pfnspec_current_caller_host = host;                                                            \
    return entry((struct vm_area_struct *)(void *)vma, (unsigned long)address, (unsigned int)flags); \
  }

#endif /* PFNSPEC_CALLER_KERNEL_H */
