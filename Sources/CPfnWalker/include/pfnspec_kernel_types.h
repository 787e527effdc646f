/*
 * pfnspec_kernel_types.h: what the two kernel shims share.
 *
 * pfnspec_kernel.h (walkers) and pfnspec_caller_kernel.h (callers) both
 * include this header: the kernel's compiler macros, error numbers, VM_*
 * flags, entry types, the structs a walker reads and a caller hands over
 * (vm_area_struct, file, address_space, mm_struct, follow_pfnmap_args),
 * geometry and messages. Do not include it directly: include one of the shims.
 *
 * The geometry macros (PAGE_SHIFT, PMD_SHIFT, ...) read the host table of the
 * call in progress; each shim defines PFNSPEC__H as its own current host.
 */
#ifndef PFNSPEC_KERNEL_TYPES_H
#define PFNSPEC_KERNEL_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pfnspec_walker.h"

/* ---- Compiler and error numbers ---------------------------------------- */

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#define ENOENT 2
#define EINVAL 22

/* ---- VMA flags (the kernel's numbering) --------------------------------- */

typedef unsigned long vm_flags_t;
#define VM_READ 0x00000001UL
#define VM_WRITE 0x00000002UL
#define VM_EXEC 0x00000004UL
#define VM_SHARED 0x00000008UL
#define VM_PFNMAP 0x00000400UL
#define VM_IO 0x00004000UL
#define VM_MIXEDMAP 0x10000000UL

/* ---- Entry types --------------------------------------------------------- */

typedef struct { uint64_t pgd; } pgd_t;
typedef struct { uint64_t p4d; } p4d_t;
typedef struct { uint64_t pud; } pud_t;
typedef struct { uint64_t pmd; } pmd_t;
typedef struct { uint64_t pte; } pte_t;
typedef struct { uint64_t pgprot; } pgprot_t;

#define pgd_val(x) ((x).pgd)
#define p4d_val(x) ((x).p4d)
#define pud_val(x) ((x).pud)
#define pmd_val(x) ((x).pmd)
#define pte_val(x) ((x).pte)
#define pgprot_val(x) ((x).pgprot)
#define __pgprot(x) ((pgprot_t){(x)})

/* ---- The structs a walker reads and a caller hands over --------------------- */

struct rw_semaphore {
  struct pfnspec_rwsem pfnspec;
};

struct address_space {
  struct rw_semaphore i_mmap_rwsem;
  uint64_t pfnspec_id;
};

struct file {
  struct address_space *f_mapping;
  uint64_t pfnspec_id;
};

struct mm_struct {
  struct rw_semaphore mmap_lock;
  uint64_t pfnspec_id;
};

struct vm_area_struct {
  unsigned long vm_start;
  unsigned long vm_end;
  vm_flags_t vm_flags;
  struct file *vm_file;
  struct mm_struct *vm_mm;
};

struct follow_pfnmap_args {
  /* Inputs */
  struct vm_area_struct *vma;
  unsigned long address;
  /* Internals */
  struct pfnspec_spinlock *lock; /* spinlock_t * in a walker: opaque */
  pte_t *ptep;
  /* Outputs */
  unsigned long pfn;
  pgprot_t pgprot;
  bool writable;
  bool special;
  unsigned long addr_mask;
};

/* The kernel's structs are the ABI's, under the kernel's names. */
#define PFNSPEC__SAME(a, b, f) _Static_assert(offsetof(struct a, f) == offsetof(struct b, f), #a "." #f)
_Static_assert(sizeof(struct vm_area_struct) == sizeof(struct pfnspec_vma), "vm_area_struct");
PFNSPEC__SAME(vm_area_struct, pfnspec_vma, vm_file);
PFNSPEC__SAME(vm_area_struct, pfnspec_vma, vm_mm);
_Static_assert(sizeof(struct follow_pfnmap_args) == sizeof(struct pfnspec_args), "follow_pfnmap_args");
PFNSPEC__SAME(follow_pfnmap_args, pfnspec_args, lock);
PFNSPEC__SAME(follow_pfnmap_args, pfnspec_args, ptep);
PFNSPEC__SAME(follow_pfnmap_args, pfnspec_args, pgprot);
PFNSPEC__SAME(follow_pfnmap_args, pfnspec_args, writable);
PFNSPEC__SAME(follow_pfnmap_args, pfnspec_args, special);
PFNSPEC__SAME(follow_pfnmap_args, pfnspec_args, addr_mask);
_Static_assert(sizeof(struct mm_struct) == sizeof(struct pfnspec_mm), "mm_struct");
_Static_assert(sizeof(struct file) == sizeof(struct pfnspec_file), "file");
_Static_assert(sizeof(struct address_space) == sizeof(struct pfnspec_address_space), "address_space");
#undef PFNSPEC__SAME

/* ---- Geometry (per case: the architecture is the host's) ---------------- */

#define PAGE_SHIFT ((int)PFNSPEC__H->page_shift)
#define PMD_SHIFT ((int)PFNSPEC__H->level_shift[PFNSPEC_PMD])
#define PUD_SHIFT ((int)PFNSPEC__H->level_shift[PFNSPEC_PUD])
#define P4D_SHIFT ((int)PFNSPEC__H->level_shift[PFNSPEC_P4D])
#define PGDIR_SHIFT ((int)PFNSPEC__H->level_shift[PFNSPEC_PGD])
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define PMD_SIZE (1UL << PMD_SHIFT)
#define PUD_SIZE (1UL << PUD_SHIFT)
#define P4D_SIZE (1UL << P4D_SHIFT)
#define PGDIR_SIZE (1UL << PGDIR_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define PMD_MASK (~(PMD_SIZE - 1))
#define PUD_MASK (~(PUD_SIZE - 1))
#define P4D_MASK (~(P4D_SIZE - 1))
#define PGDIR_MASK (~(PGDIR_SIZE - 1))

/* ---- Messages --------------------------------------------------------------- */

#define pr_info(...) fprintf(stderr, __VA_ARGS__)
#define pr_warn(...) fprintf(stderr, __VA_ARGS__)
#define pr_err(...) fprintf(stderr, __VA_ARGS__)

/* ---- Kernel configuration ------------------------------------------------------ */

/*
 * Lockdep and the VM's debug checks are on, so #ifdef CONFIG_LOCKDEP blocks,
 * lockdep_assert*() and VM_WARN_ON*() compile in, as in a debug kernel.
 * Build with -DPFNSPEC_NO_LOCKDEP or -DPFNSPEC_NO_DEBUG_VM to turn them off.
 */
#if !defined(PFNSPEC_NO_LOCKDEP) && !defined(CONFIG_LOCKDEP)
#define CONFIG_LOCKDEP 1
#define CONFIG_PROVE_LOCKING 1
#endif
#if !defined(PFNSPEC_NO_DEBUG_VM) && !defined(CONFIG_DEBUG_VM)
#define CONFIG_DEBUG_VM 1
#endif
#define CONFIG_MMU 1

/* ---- Exports and annotations ------------------------------------------------------ */

/* No module table here: a declaration that checks the symbol exists (clang and gcc). */
#define EXPORT_SYMBOL(sym) _Static_assert(sizeof(&(sym)) != 0, "EXPORT_SYMBOL(" #sym ")")
#define EXPORT_SYMBOL_GPL(sym) _Static_assert(sizeof(&(sym)) != 0, "EXPORT_SYMBOL_GPL(" #sym ")")
#define EXPORT_SYMBOL_NS(sym, ns) EXPORT_SYMBOL(sym)
#define EXPORT_SYMBOL_NS_GPL(sym, ns) EXPORT_SYMBOL(sym)
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#define noinline __attribute__((noinline))
#define __maybe_unused __attribute__((unused))
#define __must_check __attribute__((warn_unused_result))
#define __init
#define __exit
#define __read_mostly

/* ---- WARN*(), BUG*() --------------------------------------------------------------- */

#define PFNSPEC__STR2(x) #x
#define PFNSPEC__STR(x) PFNSPEC__STR2(x)
#define PFNSPEC__WHERE __FILE__ ":" PFNSPEC__STR(__LINE__)

/* Without a host that records them: a line on standard error; BUG aborts, as a kernel BUG stops. */
static inline int pfnspec__kernel_report_fallback(unsigned kind, const char *what) {
  fprintf(stderr, "%s: %s\n", kind == PFNSPEC_REPORT_BUG ? "kernel BUG" : "WARNING", what);
  if (kind == PFNSPEC_REPORT_BUG) __builtin_trap();
  return 0;
}
#ifndef PFNSPEC__KERNEL_REPORT
#define PFNSPEC__KERNEL_REPORT(kind, what) pfnspec__kernel_report_fallback(kind, what)
#endif

/*
 * Each records a detail through the host (a WARNING line in the case's trace)
 * and yields the condition; BUG*() ends the walk as a fault does. The _ONCE
 * forms report every time: each case is a fresh boot.
 */
#define WARN_ON(cond)                                                                          \
  ({                                                                                           \
    int __pfnspec_warned = !!(cond);                                                           \
    if (unlikely(__pfnspec_warned))                                                            \
      PFNSPEC__KERNEL_REPORT(PFNSPEC_REPORT_WARN, "WARN_ON(" #cond ") at " PFNSPEC__WHERE);     \
    __pfnspec_warned;                                                                          \
  })
#define WARN_ON_ONCE(cond) WARN_ON(cond)
#define WARN(cond, ...)                                                                        \
  ({                                                                                           \
    int __pfnspec_warned = !!(cond);                                                           \
    if (unlikely(__pfnspec_warned))                                                            \
      PFNSPEC__KERNEL_REPORT(PFNSPEC_REPORT_WARN, "WARN(" #cond ", " #__VA_ARGS__ ") at " PFNSPEC__WHERE); \
    __pfnspec_warned;                                                                          \
  })
#define WARN_ONCE(cond, ...) WARN(cond, __VA_ARGS__)
#define BUG() ((void)PFNSPEC__KERNEL_REPORT(PFNSPEC_REPORT_BUG, "BUG() at " PFNSPEC__WHERE))
#define BUG_ON(cond)                                                                           \
  do {                                                                                         \
    if (unlikely(cond)) PFNSPEC__KERNEL_REPORT(PFNSPEC_REPORT_BUG, "BUG_ON(" #cond ") at " PFNSPEC__WHERE); \
  } while (0)

#ifdef CONFIG_DEBUG_VM
#define VM_BUG_ON(cond) BUG_ON(cond)
#define VM_BUG_ON_VMA(cond, vma) BUG_ON(cond)
#define VM_BUG_ON_MM(cond, mm) BUG_ON(cond)
#define VM_BUG_ON_PAGE(cond, page) BUG_ON(cond)
#define VM_BUG_ON_FOLIO(cond, folio) BUG_ON(cond)
#define VM_WARN_ON(cond) (void)WARN_ON(cond)
#define VM_WARN_ON_ONCE(cond) WARN_ON(cond)
#define VM_WARN_ONCE(cond, ...) WARN(cond, __VA_ARGS__)
#define VM_WARN(cond, ...) WARN(cond, __VA_ARGS__)
#define VM_WARN_ON_VMA(cond, vma) (void)WARN_ON(cond)
#define VM_WARN_ON_ONCE_VMA(cond, vma) WARN_ON(cond)
#define VM_WARN_ON_MM(cond, mm) (void)WARN_ON(cond)
#define VM_WARN_ON_ONCE_MM(cond, mm) WARN_ON(cond)
#define VM_WARN_ON_FOLIO(cond, folio) (void)WARN_ON(cond)
#define VM_WARN_ON_ONCE_FOLIO(cond, folio) WARN_ON(cond)
#else
/* As the kernel without CONFIG_DEBUG_VM: the condition is type-checked, not evaluated. */
#define PFNSPEC__UNEVALUATED(cond) ((void)sizeof((long)(cond)))
#define VM_BUG_ON(cond) PFNSPEC__UNEVALUATED(cond)
#define VM_BUG_ON_VMA(cond, vma) PFNSPEC__UNEVALUATED(cond)
#define VM_BUG_ON_MM(cond, mm) PFNSPEC__UNEVALUATED(cond)
#define VM_BUG_ON_PAGE(cond, page) PFNSPEC__UNEVALUATED(cond)
#define VM_BUG_ON_FOLIO(cond, folio) PFNSPEC__UNEVALUATED(cond)
#define VM_WARN_ON(cond) PFNSPEC__UNEVALUATED(cond)
#define VM_WARN_ON_ONCE(cond) ({ PFNSPEC__UNEVALUATED(cond); 0; })
#define VM_WARN_ONCE(cond, ...) ({ PFNSPEC__UNEVALUATED(cond); 0; })
#define VM_WARN(cond, ...) ({ PFNSPEC__UNEVALUATED(cond); 0; })
#define VM_WARN_ON_VMA(cond, vma) PFNSPEC__UNEVALUATED(cond)
#define VM_WARN_ON_ONCE_VMA(cond, vma) ({ PFNSPEC__UNEVALUATED(cond); 0; })
#define VM_WARN_ON_MM(cond, mm) PFNSPEC__UNEVALUATED(cond)
#define VM_WARN_ON_ONCE_MM(cond, mm) ({ PFNSPEC__UNEVALUATED(cond); 0; })
#define VM_WARN_ON_FOLIO(cond, folio) PFNSPEC__UNEVALUATED(cond)
#define VM_WARN_ON_ONCE_FOLIO(cond, folio) ({ PFNSPEC__UNEVALUATED(cond); 0; })
#endif

#endif /* PFNSPEC_KERNEL_TYPES_H */
