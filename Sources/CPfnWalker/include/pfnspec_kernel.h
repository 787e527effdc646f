/*
 * pfnspec_kernel.h: the kernel's names for a follow_pfnmap walker, on top of
 * the pfnspec walker ABI (pfnspec_walker.h).
 *
 * A walker written the way mm/memory.c is written compiles against this header
 * with few edits: the entry types, pXd_offset(), the pXdp_get() accessors,
 * READ_ONCE(), the pXd_*() helpers, the page-table locks, lockdep and the
 * structs a walker reads (vm_area_struct, file, address_space, mm_struct,
 * follow_pfnmap_args) are all here. The structs are real C structs behind
 * real pointers: a VMA without a backing file has vm_file == NULL, and a
 * walker that dereferences it crashes, as it would in the kernel.
 *
 * Entry pointers (pgd_t * .. pte_t *) are real pointers into a read-only
 * mirror of the entries the walker was handed (struct pfnspec_mirror): *pgdp,
 * pgd_none(*pgdp) and pmd_t pmd = *pmdp read the entry's current value, as in
 * the kernel. READ_ONCE(*p), pXdp_get(p) and pmdp_get_lockless(p) go through
 * the host and are scheduling points for the race explorer; a plain read is
 * not, but the runner sees it (the view faults until read) and judges it by
 * the locks held: below pgd, without the entry's lock, it is a data race that
 * rule RC-005 reports as KCSAN would (docs/walkers.md says which levels and
 * locks make a plain read legitimate). A store through an entry pointer
 * faults, and the runner reports that the walker wrote a page-table entry.
 *
 * The kernel's own #include lines work: the include folder beside this header
 * has linux/mm.h, linux/pgtable.h, asm/pgtable.h, linux/lockdep.h, ... which
 * all lead here. CONFIG_LOCKDEP and CONFIG_DEBUG_VM are defined, so lockdep
 * blocks, lockdep_assert*() and VM_WARN_ON*() compile in; -DPFNSPEC_NO_LOCKDEP
 * and -DPFNSPEC_NO_DEBUG_VM turn them off.
 *
 * End the walker's source with
 *
 *   PFNSPEC_KERNEL_WALKER("my-walker", "one line about it", "6.15", "strict", "implementation")
 *
 * which exports the ABI's describe/start/end around your follow_pfnmap_start()
 * and follow_pfnmap_end(). A file that uses this header without it does not
 * link (or load): the missing symbol is named
 * pfnspec_current_host__defined_by_PFNSPEC_KERNEL_WALKER. See docs/walkers.md.
 */
#ifndef PFNSPEC_KERNEL_H
#define PFNSPEC_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef PFNSPEC_CALLER_KERNEL_H
#error "pfnspec_kernel.h is for walkers and pfnspec_caller_kernel.h for callers: include one of them, not both"
#endif

#include "pfnspec_walker.h"

/* The walker shim reports WARN*() and BUG*() through the host. */
#define PFNSPEC__KERNEL_REPORT(kind, what) pfnspec__kernel_report(kind, what)
static inline int pfnspec__kernel_report(unsigned kind, const char *what);

#include "pfnspec_kernel_types.h"

/*
 * The host of the call in progress, set by PFNSPEC_KERNEL_WALKER's exports.
 * Thread-local, so walks of one plug-in may go on side by side in one process.
 */
#define pfnspec_current_host pfnspec_current_host__defined_by_PFNSPEC_KERNEL_WALKER
extern _Thread_local const struct pfnspec_host *pfnspec_current_host __attribute__((visibility("hidden")));

/* A page-table spinlock: an opaque handle, never dereferenced. */
typedef struct pfnspec_spinlock spinlock_t;

int follow_pfnmap_start(struct follow_pfnmap_args *args);
void follow_pfnmap_end(struct follow_pfnmap_args *args);

/* ---- Geometry: in pfnspec_kernel_types.h, from this host ---------------- */

#define PFNSPEC__H pfnspec_current_host

/* ---- Glue: every call goes to the host; a faulting call ends the walk ---- */

static inline __attribute__((noreturn)) void pfnspec__abandon(void) {
  PFNSPEC__H->abandon(PFNSPEC__H);
  __builtin_unreachable();
}

/* ---- The mirror: entry pointers that are real pointers ------------------- */

static inline struct pfnspec_mirror *pfnspec__mirror(void) {
  const struct pfnspec_host *host = PFNSPEC__H;
  return PFNSPEC_HOST_HAS(host, mirror) ? host->mirror : NULL;
}

/* The handle behind an entry pointer: a slot of the mirror, or (older hosts) the handle itself. */
static inline pfnspec_entry_ref pfnspec__ref(const volatile void *p) {
  struct pfnspec_mirror *mirror = pfnspec__mirror();
  uintptr_t at = (uintptr_t)p, start;
  if (mirror != NULL && at >= (start = (uintptr_t)mirror->view) &&
      at < start + (uintptr_t)mirror->count * sizeof(uint64_t) && (at - start) % sizeof(uint64_t) == 0)
    return mirror->handles[(at - start) / sizeof(uint64_t)];
  return (pfnspec_entry_ref)at;
}

static inline void pfnspec__fill(struct pfnspec_mirror *mirror, uint32_t slot) {
  uint64_t value = 0;
  if (PFNSPEC__H->peek(PFNSPEC__H->ctx, mirror->handles[slot], (enum pfnspec_level)mirror->levels[slot], &value) != 0)
    value = 0;
  mirror->values[slot] = value;
}

/* Every slot again: after a host call, another CPU may have changed any entry. */
static inline void pfnspec__refresh(void) {
  struct pfnspec_mirror *mirror = pfnspec__mirror();
  if (mirror == NULL) return;
  for (uint32_t slot = 0; slot < mirror->count; slot++) pfnspec__fill(mirror, slot);
}

/* The entry pointer the walker gets for a handle: its slot in the mirror (made on first use). */
static inline void *pfnspec__pointer(pfnspec_entry_ref handle, enum pfnspec_level level) {
  struct pfnspec_mirror *mirror = pfnspec__mirror();
  if (mirror == NULL || handle == 0) return (void *)(uintptr_t)handle;
  uint32_t slot = 0;
  while (slot < mirror->count && mirror->handles[slot] != handle) slot++;
  if (slot == mirror->count) {
    if (mirror->count == mirror->capacity) return (void *)(uintptr_t)handle; /* full: an opaque handle */
    mirror->count++;
    mirror->handles[slot] = handle;
    mirror->levels[slot] = (uint8_t)level;
  }
  pfnspec__fill(mirror, slot);
  return (void *)(uintptr_t)&mirror->view[slot];
}

/* Host calls that may schedule: a failure ends the walk, a success refreshes the mirror. */
#define PFNSPEC__CHECK(call)                       \
  do {                                             \
    if (unlikely((call) != 0)) pfnspec__abandon(); \
    pfnspec__refresh();                            \
  } while (0)

static inline uint64_t pfnspec__read(const volatile void *p, enum pfnspec_level level) {
  uint64_t value;
  PFNSPEC__CHECK(PFNSPEC__H->read(PFNSPEC__H->ctx, pfnspec__ref(p), level, &value));
  return value;
}

static inline pfnspec_entry_ref pfnspec__offset(enum pfnspec_level level, const void *parent,
                                                unsigned long address) {
  pfnspec_entry_ref out;
  PFNSPEC__CHECK(PFNSPEC__H->offset(PFNSPEC__H->ctx, level, pfnspec__ref(parent), address, &out));
  return out;
}

/* The level of an entry pointer's type; -1 for any other pointer. */
#define PFNSPEC__LEVEL_OF(p)                                                         \
  _Generic((p), pgd_t *: PFNSPEC_PGD, const pgd_t *: PFNSPEC_PGD, p4d_t *: PFNSPEC_P4D, \
           const p4d_t *: PFNSPEC_P4D, pud_t *: PFNSPEC_PUD, const pud_t *: PFNSPEC_PUD,   \
           pmd_t *: PFNSPEC_PMD, const pmd_t *: PFNSPEC_PMD, pte_t *: PFNSPEC_PTE,         \
           const pte_t *: PFNSPEC_PTE, default: -1)

static inline void pfnspec__read_once(const volatile void *p, int level, void *out, size_t size) {
  if (level < 0) {
    __builtin_memcpy(out, (const void *)p, size);
    return;
  }
  uint64_t value = pfnspec__read(p, (enum pfnspec_level)level);
  __builtin_memcpy(out, &value, sizeof value);
}

static inline void pfnspec__write_once(volatile void *p, int level, const void *in, size_t size) {
  if (level < 0) {
    __builtin_memcpy((void *)p, in, size);
    return;
  }
  uint64_t value;
  __builtin_memcpy(&value, in, sizeof value);
  PFNSPEC__CHECK(PFNSPEC__H->write(PFNSPEC__H->ctx, pfnspec__ref(p), (enum pfnspec_level)level, value));
}

/* READ_ONCE(*pmdp) reads the entry through the host; other lvalues are read as they are. */
#define READ_ONCE(x)                                                                 \
  ({                                                                                 \
    __typeof__(x) __pfnspec_value;                                                   \
    pfnspec__read_once(&(x), PFNSPEC__LEVEL_OF(&(x)), &__pfnspec_value, sizeof(__pfnspec_value)); \
    __pfnspec_value;                                                                 \
  })

/* WRITE_ONCE(*pmdp, v) writes the entry through the host (the contract forbids it). */
#define WRITE_ONCE(x, val)                                                           \
  do {                                                                               \
    __typeof__(x) __pfnspec_value = (val);                                           \
    pfnspec__write_once(&(x), PFNSPEC__LEVEL_OF(&(x)), &__pfnspec_value, sizeof(__pfnspec_value)); \
  } while (0)

/* ---- pXd_offset() --------------------------------------------------------- */

static inline pgd_t *pgd_offset(struct mm_struct *mm, unsigned long address) {
  pfnspec_entry_ref out;
  PFNSPEC__CHECK(PFNSPEC__H->pgd_offset(PFNSPEC__H->ctx, (const struct pfnspec_mm *)mm, address, &out));
  return (pgd_t *)pfnspec__pointer(out, PFNSPEC_PGD);
}

static inline p4d_t *p4d_offset(pgd_t *pgdp, unsigned long address) {
  return (p4d_t *)pfnspec__pointer(pfnspec__offset(PFNSPEC_P4D, pgdp, address), PFNSPEC_P4D);
}

static inline pud_t *pud_offset(p4d_t *p4dp, unsigned long address) {
  return (pud_t *)pfnspec__pointer(pfnspec__offset(PFNSPEC_PUD, p4dp, address), PFNSPEC_PUD);
}

static inline pmd_t *pmd_offset(pud_t *pudp, unsigned long address) {
  return (pmd_t *)pfnspec__pointer(pfnspec__offset(PFNSPEC_PMD, pudp, address), PFNSPEC_PMD);
}

/* ---- pXdp_get() ------------------------------------------------------------ */

static inline pgd_t pgdp_get(pgd_t *p) { return (pgd_t){pfnspec__read(p, PFNSPEC_PGD)}; }
static inline p4d_t p4dp_get(p4d_t *p) { return (p4d_t){pfnspec__read(p, PFNSPEC_P4D)}; }
static inline pud_t pudp_get(pud_t *p) { return (pud_t){pfnspec__read(p, PFNSPEC_PUD)}; }
static inline pmd_t pmdp_get(pmd_t *p) { return (pmd_t){pfnspec__read(p, PFNSPEC_PMD)}; }
static inline pmd_t pmdp_get_lockless(pmd_t *p) { return (pmd_t){pfnspec__read(p, PFNSPEC_PMD)}; }
static inline pte_t ptep_get(pte_t *p) { return (pte_t){pfnspec__read(p, PFNSPEC_PTE)}; }
static inline pte_t ptep_get_lockless(pte_t *p) { return (pte_t){pfnspec__read(p, PFNSPEC_PTE)}; }

/* ---- The architecture's helpers ------------------------------------------ */

#define PFNSPEC__HELPER(name, type, field, level, hook)                  \
  static inline int name(type entry) {                                  \
    return PFNSPEC__H->hook(PFNSPEC__H->ctx, entry.field, level);       \
  }
#define PFNSPEC__PFN(name, type, field, level)                           \
  static inline unsigned long name(type entry) {                        \
    return PFNSPEC__H->pfn(PFNSPEC__H->ctx, entry.field, level);        \
  }
#define PFNSPEC__PGPROT(name, type, field, level)                        \
  static inline pgprot_t name(type entry) {                             \
    return __pgprot(PFNSPEC__H->pgprot(PFNSPEC__H->ctx, entry.field, level)); \
  }

PFNSPEC__HELPER(pgd_none, pgd_t, pgd, PFNSPEC_PGD, is_none)
PFNSPEC__HELPER(pgd_present, pgd_t, pgd, PFNSPEC_PGD, is_present)
PFNSPEC__HELPER(pgd_bad, pgd_t, pgd, PFNSPEC_PGD, is_bad)

PFNSPEC__HELPER(p4d_none, p4d_t, p4d, PFNSPEC_P4D, is_none)
PFNSPEC__HELPER(p4d_present, p4d_t, p4d, PFNSPEC_P4D, is_present)
PFNSPEC__HELPER(p4d_bad, p4d_t, p4d, PFNSPEC_P4D, is_bad)
PFNSPEC__HELPER(p4d_leaf, p4d_t, p4d, PFNSPEC_P4D, is_leaf)

PFNSPEC__HELPER(pud_none, pud_t, pud, PFNSPEC_PUD, is_none)
PFNSPEC__HELPER(pud_present, pud_t, pud, PFNSPEC_PUD, is_present)
PFNSPEC__HELPER(pud_leaf, pud_t, pud, PFNSPEC_PUD, is_leaf)
PFNSPEC__HELPER(pud_bad, pud_t, pud, PFNSPEC_PUD, is_bad)
PFNSPEC__HELPER(pud_write, pud_t, pud, PFNSPEC_PUD, is_write)
PFNSPEC__HELPER(pud_special, pud_t, pud, PFNSPEC_PUD, is_special)
PFNSPEC__PFN(pud_pfn, pud_t, pud, PFNSPEC_PUD)
PFNSPEC__PGPROT(pud_pgprot, pud_t, pud, PFNSPEC_PUD)

PFNSPEC__HELPER(pmd_none, pmd_t, pmd, PFNSPEC_PMD, is_none)
PFNSPEC__HELPER(pmd_present, pmd_t, pmd, PFNSPEC_PMD, is_present)
PFNSPEC__HELPER(pmd_leaf, pmd_t, pmd, PFNSPEC_PMD, is_leaf)
PFNSPEC__HELPER(pmd_bad, pmd_t, pmd, PFNSPEC_PMD, is_bad)
PFNSPEC__HELPER(pmd_write, pmd_t, pmd, PFNSPEC_PMD, is_write)
PFNSPEC__HELPER(pmd_special, pmd_t, pmd, PFNSPEC_PMD, is_special)
PFNSPEC__PFN(pmd_pfn, pmd_t, pmd, PFNSPEC_PMD)
PFNSPEC__PGPROT(pmd_pgprot, pmd_t, pmd, PFNSPEC_PMD)

PFNSPEC__HELPER(pte_none, pte_t, pte, PFNSPEC_PTE, is_none)
PFNSPEC__HELPER(pte_present, pte_t, pte, PFNSPEC_PTE, is_present)
PFNSPEC__HELPER(pte_write, pte_t, pte, PFNSPEC_PTE, is_write)
PFNSPEC__HELPER(pte_special, pte_t, pte, PFNSPEC_PTE, is_special)
PFNSPEC__PFN(pte_pfn, pte_t, pte, PFNSPEC_PTE)
PFNSPEC__PGPROT(pte_pgprot, pte_t, pte, PFNSPEC_PTE)

#undef PFNSPEC__HELPER
#undef PFNSPEC__PFN
#undef PFNSPEC__PGPROT

/* ---- Page-table locks ----------------------------------------------------- */

static inline spinlock_t *pfnspec__lock_ptr(pfnspec_lock_ref ref) {
  return (spinlock_t *)(uintptr_t)ref;
}

static inline spinlock_t *pud_lock(struct mm_struct *mm, pud_t *pudp) {
  pfnspec_lock_ref lock;
  PFNSPEC__CHECK(PFNSPEC__H->pud_lock(PFNSPEC__H->ctx, (const struct pfnspec_mm *)mm, pfnspec__ref(pudp), &lock));
  return pfnspec__lock_ptr(lock);
}

static inline spinlock_t *pmd_lock(struct mm_struct *mm, pmd_t *pmdp) {
  pfnspec_lock_ref lock;
  PFNSPEC__CHECK(PFNSPEC__H->pmd_lock(PFNSPEC__H->ctx, (const struct pfnspec_mm *)mm, pfnspec__ref(pmdp), &lock));
  return pfnspec__lock_ptr(lock);
}

/* Maps the PTE table below *pmdp and locks it; NULL when there is none (the lock is not taken). */
static inline pte_t *pte_offset_map_lock(struct mm_struct *mm, pmd_t *pmdp, unsigned long address,
                                         spinlock_t **ptlp) {
  pfnspec_entry_ref pte;
  pfnspec_lock_ref lock;
  PFNSPEC__CHECK(PFNSPEC__H->pte_offset_map_lock(PFNSPEC__H->ctx, (const struct pfnspec_mm *)mm,
                                                 pfnspec__ref(pmdp), address, &pte, &lock));
  if (pte == 0) return NULL;
  *ptlp = pfnspec__lock_ptr(lock);
  return (pte_t *)pfnspec__pointer(pte, PFNSPEC_PTE);
}

static inline void spin_unlock(spinlock_t *lock) {
  PFNSPEC__CHECK(PFNSPEC__H->spin_unlock(PFNSPEC__H->ctx, (pfnspec_lock_ref)(uintptr_t)lock));
}

static inline void pte_unmap(pte_t *ptep) {
  PFNSPEC__CHECK(PFNSPEC__H->pte_unmap(PFNSPEC__H->ctx, pfnspec__ref(ptep)));
}

static inline void pte_unmap_unlock(pte_t *ptep, spinlock_t *ptl) {
  spin_unlock(ptl);
  pte_unmap(ptep);
}

/*
 * pte_offset_map_nolock(), pte_offset_map() and pte_lockptr(): the host maps
 * and locks in one call, so these take the PTE lock and drop it again at once
 * (two more scheduling points than the kernel's; the model sees the table
 * mapped until pte_unmap(), as the kernel's RCU read section keeps it).
 */
static __attribute__((unused)) _Thread_local struct mm_struct *pfnspec__walk_mm;

static inline pte_t *pte_offset_map_nolock(struct mm_struct *mm, pmd_t *pmdp, unsigned long address,
                                           spinlock_t **ptlp) {
  spinlock_t *lock;
  pte_t *ptep = pte_offset_map_lock(mm, pmdp, address, &lock);
  if (ptep == NULL) return NULL;
  spin_unlock(lock);
  *ptlp = lock;
  return ptep;
}

static inline pte_t *pte_offset_map(pmd_t *pmdp, unsigned long address) {
  spinlock_t *lock;
  return pte_offset_map_nolock(pfnspec__walk_mm, pmdp, address, &lock);
}

/* The PTE table's lock below *pmdp, not taken; NULL when there is no table. */
static inline spinlock_t *pte_lockptr(struct mm_struct *mm, pmd_t *pmdp) {
  spinlock_t *lock = NULL;
  pte_t *ptep = pte_offset_map_nolock(mm, pmdp, 0, &lock);
  if (ptep != NULL) pte_unmap(ptep);
  return lock;
}

/* ---- Huge entries, devmap and struct page --------------------------------------- */

/* A present leaf at PMD or PUD level (the model's huge entries are all "trans" huge). */
static inline int pmd_trans_huge(pmd_t pmd) { return pmd_present(pmd) && pmd_leaf(pmd); }
static inline int pud_trans_huge(pud_t pud) { return pud_present(pud) && pud_leaf(pud); }
static inline int pmd_huge(pmd_t pmd) { return pmd_present(pmd) && pmd_leaf(pmd); }
static inline int pud_huge(pud_t pud) { return pud_present(pud) && pud_leaf(pud); }

/*
 * *_devmap(): the kernel had them up to 6.14 (ZONE_DEVICE mappings). The
 * model maps no device memory, so they say no at every API level.
 */
static inline int pte_devmap(pte_t pte) { (void)pte; return 0; }
static inline int pmd_devmap(pmd_t pmd) { (void)pmd; return 0; }
static inline int pud_devmap(pud_t pud) { (void)pud; return 0; }

/*
 * Every pfn of the model has a memmap entry, so pfn_valid() says yes;
 * struct page * is an opaque handle (the caller shim's numbering): never
 * dereference it.
 */
struct page;
#define PFNSPEC__PAGE_BASE 0x10f0000000000000ULL
static inline int pfn_valid(unsigned long pfn) { (void)pfn; return 1; }
static inline struct page *pfn_to_page(unsigned long pfn) {
  return (struct page *)(uintptr_t)(PFNSPEC__PAGE_BASE + ((uint64_t)pfn << 6));
}
static inline unsigned long page_to_pfn(const struct page *page) {
  return (unsigned long)(((uint64_t)(uintptr_t)page - PFNSPEC__PAGE_BASE) >> 6);
}

/* ---- WARN*(), BUG*(), might_sleep() ------------------------------------------------ */

/* Through the host when it has report() (else to standard error, and BUG aborts). */
static inline int pfnspec__kernel_report(unsigned kind, const char *what) {
  const struct pfnspec_host *host = PFNSPEC__H;
  if (host != NULL && PFNSPEC_HOST_HAS(host, report) && host->report != NULL) {
    if (host->report(host->ctx, kind, 0, PFNSPEC_PGD, what) != 0) pfnspec__abandon();
    return 0;
  }
  return pfnspec__kernel_report_fallback(kind, what);
}

#define might_sleep() ((void)pfnspec__kernel_report(PFNSPEC_REPORT_MIGHT_SLEEP, "might_sleep() at " PFNSPEC__WHERE))
#define cond_resched() ((void)pfnspec__kernel_report(PFNSPEC_REPORT_MIGHT_SLEEP, "cond_resched() at " PFNSPEC__WHERE))

/* ---- Lockdep ---------------------------------------------------------------- */

static inline int lockdep_is_held(const struct rw_semaphore *sem) {
  return PFNSPEC__H->lockdep_is_held(PFNSPEC__H->ctx, &sem->pfnspec);
}

#ifdef CONFIG_LOCKDEP
/* Records a lockdep warning (a rule can see it) when the condition is false. */
#define lockdep_assert(cond) PFNSPEC__H->lockdep_assert(PFNSPEC__H->ctx, !!(cond), #cond)
#else
#define lockdep_assert(cond) do { } while (0)
#endif
#define lockdep_assert_held(sem) lockdep_assert(lockdep_is_held(sem))
#define lockdep_assert_not_held(sem) lockdep_assert(!lockdep_is_held(sem))
/* The model's lockdep does not tell a read hold from a write hold: both ask "held". */
#define lockdep_assert_held_read(sem) lockdep_assert(lockdep_is_held(sem))
#define lockdep_assert_held_write(sem) lockdep_assert(lockdep_is_held(sem))
#define lockdep_assert_held_once(sem) lockdep_assert(lockdep_is_held(sem))
#define mmap_assert_locked(mm) lockdep_assert(lockdep_is_held(&(mm)->mmap_lock))
#define mmap_assert_write_locked(mm) lockdep_assert(lockdep_is_held(&(mm)->mmap_lock))

/* ---- The ABI's exports, around follow_pfnmap_start()/end() ------------------ */

/*
 * What the exports do around the walker's own functions: set the current
 * host, start a fresh mirror for a new walk, and keep args->ptep a handle
 * outside the walker (the runner and the rules see handles; the walker sees
 * its mirror pointer). A file that writes the ABI's exports by hand around
 * kernel-style code calls these two as PFNSPEC_KERNEL_WALKER does.
 */
static inline void pfnspec_kernel_enter(const struct pfnspec_host *host, struct pfnspec_args *args, bool start) {
  pfnspec_current_host = host;
  struct pfnspec_mirror *mirror = pfnspec__mirror();
  if (start && mirror != NULL) mirror->count = 0;
  pfnspec__walk_mm = args->vma != NULL ? (struct mm_struct *)(void *)args->vma->vm_mm : NULL;
  if (args->ptep != 0) args->ptep = (pfnspec_entry_ref)(uintptr_t)pfnspec__pointer(args->ptep, PFNSPEC_PTE);
}

static inline void pfnspec_kernel_leave(struct pfnspec_args *args) {
  if (pfnspec__mirror() != NULL) args->ptep = pfnspec__ref((const void *)(uintptr_t)args->ptep);
}

#define PFNSPEC_KERNEL_WALKER(NAME, SUMMARY, API_LEVEL, PROFILE, ROLE)                         \
  _Thread_local const struct pfnspec_host *pfnspec_current_host;                               \
  __attribute__((visibility("default"))) const struct pfnspec_walker_info *                    \
  pfnspec_walker_describe(void) {                                                              \
    static const struct pfnspec_walker_info info = {                                           \
        PFNSPEC_ABI_VERSION, sizeof(struct pfnspec_walker_info), NAME, SUMMARY, API_LEVEL,     \
        PROFILE, ROLE};                                                                        \
    return &info;                                                                              \
  }                                                                                            \
  __attribute__((visibility("default"))) int pfnspec_walker_start(                             \
      const struct pfnspec_host *host, struct pfnspec_args *args) {                            \
    pfnspec_kernel_enter(host, args, true);                                                    \
    int result = follow_pfnmap_start((struct follow_pfnmap_args *)(void *)args);               \
    pfnspec_kernel_leave(args);                                                                \
    return result;                                                                             \
  }                                                                                            \
  __attribute__((visibility("default"))) void pfnspec_walker_end(                              \
      const struct pfnspec_host *host, struct pfnspec_args *args) {                            \
    pfnspec_kernel_enter(host, args, false);                                                   \
    follow_pfnmap_end((struct follow_pfnmap_args *)(void *)args);                              \
    pfnspec_kernel_leave(args);                                                                \
  }

#endif /* PFNSPEC_KERNEL_H */
