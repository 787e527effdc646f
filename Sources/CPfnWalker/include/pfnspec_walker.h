/*
 * pfnspec_walker.h: the pfnspec walker ABI.
 *
 * A walker plug-in is a shared object that exports three functions:
 *
 *   const struct pfnspec_walker_info *pfnspec_walker_describe(void);
 *   int  pfnspec_walker_start(const struct pfnspec_host *host, struct pfnspec_args *args);
 *   void pfnspec_walker_end(const struct pfnspec_host *host, struct pfnspec_args *args);
 *
 * pfnspec loads it in a worker process, asks describe() who it is (the first
 * field of the answer is the ABI version it was built against; a mismatch is
 * refused before anything else is read), then drives start()/end() over the
 * model of page tables. The walker sees the page tables only through the host
 * table: every entry it reads, every lock it takes, every helper it asks goes
 * through a function pointer, so the runner can count it, check it and let a
 * racing CPU act at that point.
 *
 * Walkers written in kernel style include pfnspec_kernel.h instead, which maps
 * the kernel's names onto this table. See docs/walkers.md.
 */
#ifndef PFNSPEC_WALKER_H
#define PFNSPEC_WALKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The ABI this header describes. Bumped on any change of layout or meaning of
 * what exists; fields appended at the end of struct pfnspec_host are not a
 * change: the table's size says whether a host has them.
 */
#define PFNSPEC_ABI_VERSION 1u

/* The kernel's five generic page-table levels, top first. */
enum pfnspec_level {
  PFNSPEC_PGD = 0,
  PFNSPEC_P4D = 1,
  PFNSPEC_PUD = 2,
  PFNSPEC_PMD = 3,
  PFNSPEC_PTE = 4,
};

/*
 * An entry pointer (what pgd_t * .. pte_t * are to a kernel walker): the model
 * physical address of one entry. Opaque: only host calls accept it; 0 names no
 * entry.
 */
typedef uint64_t pfnspec_entry_ref;

/* A page-table spinlock the host handed out (spinlock_t *). Opaque; 0 is none. */
typedef uint64_t pfnspec_lock_ref;

/* What a struct pfnspec_rwsem stands for, for lockdep queries. */
enum pfnspec_rwsem_kind {
  PFNSPEC_RWSEM_MMAP_LOCK = 1,  /* mm->mmap_lock */
  PFNSPEC_RWSEM_I_MMAP = 2,     /* mapping->i_mmap_rwsem; id is the mapping's */
};

/* A sleeping lock the caller may hold around the walk. */
struct pfnspec_rwsem {
  uint32_t kind;  /* enum pfnspec_rwsem_kind */
  uint32_t id;
};

/* struct address_space: only what a walker reads. */
struct pfnspec_address_space {
  struct pfnspec_rwsem i_mmap_rwsem;
  uint64_t id;
};

/* struct file. */
struct pfnspec_file {
  struct pfnspec_address_space *f_mapping;
  uint64_t id;
};

/* struct mm_struct. */
struct pfnspec_mm {
  struct pfnspec_rwsem mmap_lock;
  uint64_t id;
};

/* struct vm_area_struct. vm_file is NULL for a VMA without a backing file. */
struct pfnspec_vma {
  uint64_t vm_start;
  uint64_t vm_end;   /* one past the last byte */
  uint64_t vm_flags; /* VM_* bits as the kernel numbers them */
  struct pfnspec_file *vm_file;
  struct pfnspec_mm *vm_mm;
};

/* struct follow_pfnmap_args. */
struct pfnspec_args {
  /* Inputs: the walker must not change them. */
  struct pfnspec_vma *vma;
  uint64_t address;
  /* Internals: the walker's own, kept from start() for end(). */
  pfnspec_lock_ref lock;
  pfnspec_entry_ref ptep;
  /* Outputs. */
  uint64_t pfn;
  uint64_t pgprot;
  bool writable;
  bool special;
  uint64_t addr_mask; /* API 6.15 and later */
};

/*
 * The host table. Calls that touch shared state return 0, or nonzero when the
 * walker did something the kernel would not survive (a wild entry pointer, a
 * lock taken twice, an unlock of a lock not held, a walk that never ends). On
 * nonzero the walk is over: call abandon(), which does not return. The kernel
 * shim does this for you.
 */
struct pfnspec_host {
  uint32_t abi_version; /* PFNSPEC_ABI_VERSION of the host */
  uint32_t size;        /* sizeof(struct pfnspec_host) of the host */
  void *ctx;            /* pass to every call */

  /* The architecture of this case. */
  const char *arch_name;
  uint32_t page_shift;     /* PAGE_SHIFT */
  uint32_t level_shift[5]; /* PGDIR_SHIFT, P4D_SHIFT, PUD_SHIFT, PMD_SHIFT, PAGE_SHIFT */

  /* Page-table access. */
  int (*pgd_offset)(void *ctx, const struct pfnspec_mm *mm, uint64_t address, pfnspec_entry_ref *out);
  /* p4d_offset()/pud_offset()/pmd_offset(): reads *parent; folded levels return parent. */
  int (*offset)(void *ctx, enum pfnspec_level level, pfnspec_entry_ref parent, uint64_t address,
                pfnspec_entry_ref *out);
  /* READ_ONCE(*entry): pXdp_get(), pmdp_get_lockless(), ptep_get(). */
  int (*read)(void *ctx, pfnspec_entry_ref entry, enum pfnspec_level level, uint64_t *out);
  /* WRITE_ONCE(*entry, value): the contract forbids it; the host records it. */
  int (*write)(void *ctx, pfnspec_entry_ref entry, enum pfnspec_level level, uint64_t value);

  /* The architecture's helpers, on an entry value read before. */
  bool (*is_none)(void *ctx, uint64_t entry, enum pfnspec_level level);
  bool (*is_present)(void *ctx, uint64_t entry, enum pfnspec_level level);
  bool (*is_leaf)(void *ctx, uint64_t entry, enum pfnspec_level level);
  bool (*is_bad)(void *ctx, uint64_t entry, enum pfnspec_level level);
  uint64_t (*pfn)(void *ctx, uint64_t entry, enum pfnspec_level level);
  bool (*is_write)(void *ctx, uint64_t entry, enum pfnspec_level level);
  bool (*is_special)(void *ctx, uint64_t entry, enum pfnspec_level level);
  uint64_t (*pgprot)(void *ctx, uint64_t entry, enum pfnspec_level level);

  /* Locks. */
  int (*pud_lock)(void *ctx, const struct pfnspec_mm *mm, pfnspec_entry_ref pud, pfnspec_lock_ref *out);
  int (*pmd_lock)(void *ctx, const struct pfnspec_mm *mm, pfnspec_entry_ref pmd, pfnspec_lock_ref *out);
  /* Maps the PTE table below *pmd and takes its lock; *pte_out = 0 when there is none. */
  int (*pte_offset_map_lock)(void *ctx, const struct pfnspec_mm *mm, pfnspec_entry_ref pmd, uint64_t address,
                             pfnspec_entry_ref *pte_out, pfnspec_lock_ref *lock_out);
  int (*spin_unlock)(void *ctx, pfnspec_lock_ref lock);
  int (*pte_unmap)(void *ctx, pfnspec_entry_ref pte);

  /* Lockdep. */
  bool (*lockdep_is_held)(void *ctx, const struct pfnspec_rwsem *sem);
  /* Records a lockdep warning when condition is false; what is the condition's text. */
  void (*lockdep_assert)(void *ctx, bool condition, const char *what);

  /* Leaves the walk after a call returned nonzero. Does not return. */
  void (*abandon)(const struct pfnspec_host *host);
  void *abandon_context; /* the host's own */

  /*
   * Added in ABI version 1 after the fields above, which keep their offsets:
   * a walker reads these only when size says the host has them
   * (PFNSPEC_HOST_HAS(host, field)).
   */

  /*
   * *entry without a scheduling point: not counted, not traced, and no other
   * CPU acts. The kernel shim fills its mirror of entries with it (see
   * struct pfnspec_mirror); nonzero when entry is no page-table entry.
   */
  int (*peek)(void *ctx, pfnspec_entry_ref entry, enum pfnspec_level level, uint64_t *out);
  /*
   * A kernel idiom that reports: WARN*, BUG*, might_sleep(), a write through
   * an entry pointer. what is the condition's text and where it is. Returns
   * nonzero when the walk is over (BUG, a write through an entry pointer):
   * call abandon().
   */
  int (*report)(void *ctx, uint32_t kind, pfnspec_entry_ref entry, enum pfnspec_level level, const char *what);
  /* The mirror of entries the shim hands out as real pointers; NULL when there is none. */
  struct pfnspec_mirror *mirror;
};

/* Whether a host table has a field: older hosts have a smaller table. */
#define PFNSPEC_HOST_HAS(host, field) \
  ((host)->size >= offsetof(struct pfnspec_host, field) + sizeof((host)->field))

/* What report() is told. */
enum pfnspec_report_kind {
  PFNSPEC_REPORT_WARN = 1,        /* WARN*(), VM_WARN_ON*(): a detail; the walk goes on */
  PFNSPEC_REPORT_BUG = 2,         /* BUG(), BUG_ON(), VM_BUG_ON*(): the walk ends */
  PFNSPEC_REPORT_MIGHT_SLEEP = 3, /* might_sleep(): a lockdep warning when a spinlock is held */
  PFNSPEC_REPORT_ENTRY_WRITE = 4, /* a store through an entry pointer (entry, level): the walk ends */
};

/*
 * The mirror: entry pointers that are real pointers. The runner maps one
 * region twice, at view (never writable; PROT_NONE until the walker reads it,
 * so that the runner sees each plain read and judges it by the locks held)
 * and writable at values. When a walker gets
 * an entry pointer (pgd_offset(), pXd_offset(), pte_offset_map_lock()), the
 * kernel shim gives it &view[i] for a slot i that mirrors that entry
 * (handles[i]), so *pgdp and pgd_none(*pgdp) read the entry as the kernel
 * does. The shim refreshes every slot (peek) after each host call returns,
 * since only host calls let another CPU act, and turns a slot address back into
 * its handle whenever it calls the host. A store through a slot faults (the
 * view is never writable); the runner turns that fault into a verdict that
 * names the entry. count goes back to 0 when a walk starts.
 */
struct pfnspec_mirror {
  const uint64_t *view;       /* read-only: what entry pointers point to */
  uint64_t *values;           /* the same memory, writable */
  pfnspec_entry_ref *handles; /* handles[i]: the entry slot i mirrors */
  uint8_t *levels;            /* levels[i]: the level it was handed out at */
  uint32_t capacity;          /* slots */
  uint32_t count;             /* slots in use */
};

/* What describe() answers. Strings must live as long as the shared object. */
struct pfnspec_walker_info {
  uint32_t abi_version; /* PFNSPEC_ABI_VERSION the walker was built with: keep first */
  uint32_t size;        /* sizeof(struct pfnspec_walker_info) */
  const char *name;     /* as reports show it, e.g. "example-c" */
  const char *summary;  /* one line */
  const char *api_level; /* "6.12" or "6.15": the outputs the walker fills */
  const char *profile;   /* "strict" (VM_IO|VM_PFNMAP check) or "relaxed" */
  const char *role;      /* "implementation", "legacy" or "mutant" */
};

typedef const struct pfnspec_walker_info *(*pfnspec_walker_describe_fn)(void);
typedef int (*pfnspec_walker_start_fn)(const struct pfnspec_host *host, struct pfnspec_args *args);
typedef void (*pfnspec_walker_end_fn)(const struct pfnspec_host *host, struct pfnspec_args *args);

/* The exported symbol names. */
#define PFNSPEC_WALKER_DESCRIBE_SYMBOL "pfnspec_walker_describe"
#define PFNSPEC_WALKER_START_SYMBOL "pfnspec_walker_start"
#define PFNSPEC_WALKER_END_SYMBOL "pfnspec_walker_end"

#ifdef __cplusplus
}
#endif

#endif /* PFNSPEC_WALKER_H */
