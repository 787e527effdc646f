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
 * Entry pointers (pgd_t * .. pte_t *) are opaque handles: read an entry with
 * pXdp_get(p) or READ_ONCE(*p), never with a bare *p.
 *
 * End the walker's source with
 *
 *   PFNSPEC_KERNEL_WALKER("my-walker", "one line about it", "6.15", "strict", "implementation")
 *
 * which exports the ABI's describe/start/end around your follow_pfnmap_start()
 * and follow_pfnmap_end(). See docs/walkers.md.
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
#include "pfnspec_kernel_types.h"

/* The host of the call in progress, set by PFNSPEC_KERNEL_WALKER's exports. */
extern const struct pfnspec_host *pfnspec_current_host __attribute__((visibility("hidden")));

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

#define PFNSPEC__CHECK(call)                \
  do {                                      \
    if (unlikely((call) != 0)) pfnspec__abandon(); \
  } while (0)

static inline pfnspec_entry_ref pfnspec__ref(const volatile void *p) {
  return (pfnspec_entry_ref)(uintptr_t)p;
}

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
  return (pgd_t *)(uintptr_t)out;
}

static inline p4d_t *p4d_offset(pgd_t *pgdp, unsigned long address) {
  return (p4d_t *)(uintptr_t)pfnspec__offset(PFNSPEC_P4D, pgdp, address);
}

static inline pud_t *pud_offset(p4d_t *p4dp, unsigned long address) {
  return (pud_t *)(uintptr_t)pfnspec__offset(PFNSPEC_PUD, p4dp, address);
}

static inline pmd_t *pmd_offset(pud_t *pudp, unsigned long address) {
  return (pmd_t *)(uintptr_t)pfnspec__offset(PFNSPEC_PMD, pudp, address);
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
  return (pte_t *)(uintptr_t)pte;
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

/* ---- Lockdep ---------------------------------------------------------------- */

static inline int lockdep_is_held(const struct rw_semaphore *sem) {
  return PFNSPEC__H->lockdep_is_held(PFNSPEC__H->ctx, &sem->pfnspec);
}

/* Records a lockdep warning (a rule can see it) when the condition is false. */
#define lockdep_assert(cond) PFNSPEC__H->lockdep_assert(PFNSPEC__H->ctx, !!(cond), #cond)
#define lockdep_assert_held(sem) lockdep_assert(lockdep_is_held(sem))
#define mmap_assert_locked(mm) lockdep_assert(lockdep_is_held(&(mm)->mmap_lock))

/* ---- The ABI's exports, around follow_pfnmap_start()/end() ------------------ */

#define PFNSPEC_KERNEL_WALKER(NAME, SUMMARY, API_LEVEL, PROFILE, ROLE)                         \
  const struct pfnspec_host *pfnspec_current_host;                                             \
  __attribute__((visibility("default"))) const struct pfnspec_walker_info *                    \
  pfnspec_walker_describe(void) {                                                              \
    static const struct pfnspec_walker_info info = {                                           \
        PFNSPEC_ABI_VERSION, sizeof(struct pfnspec_walker_info), NAME, SUMMARY, API_LEVEL,     \
        PROFILE, ROLE};                                                                        \
    return &info;                                                                              \
  }                                                                                            \
  __attribute__((visibility("default"))) int pfnspec_walker_start(                             \
      const struct pfnspec_host *host, struct pfnspec_args *args) {                            \
    pfnspec_current_host = host;                                                               \
    return follow_pfnmap_start((struct follow_pfnmap_args *)(void *)args);                     \
  }                                                                                            \
  __attribute__((visibility("default"))) void pfnspec_walker_end(                              \
      const struct pfnspec_host *host, struct pfnspec_args *args) {                            \
    pfnspec_current_host = host;                                                               \
    follow_pfnmap_end((struct follow_pfnmap_args *)(void *)args);                              \
  }

#endif /* PFNSPEC_KERNEL_H */
