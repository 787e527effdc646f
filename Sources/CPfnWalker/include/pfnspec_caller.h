/*
 * pfnspec_caller.h: the pfnspec caller ABI.
 *
 * A caller plug-in is a shared object with code that uses
 * follow_pfnmap_start()/follow_pfnmap_end() (KVM's fault path, VFIO's DMA map,
 * generic_access_phys()). It exports two functions:
 *
 *   const struct pfnspec_caller_info *pfnspec_caller_describe(void);
 *   int pfnspec_caller_run(const struct pfnspec_caller_host *host,
 *                          struct pfnspec_vma *vma, uint64_t address, uint32_t flags);
 *
 * pfnspec asks describe() who the caller is (the first field of the answer is
 * the ABI version it was built against; a mismatch is refused before anything
 * else is read), then calls run() once per request: read or write the memory
 * behind one user address of a VMA (PFNSPEC_CALLER_WRITE in flags), or map it
 * for a device. The caller sees the world only through the host table: the
 * lookups (served by the walker the run chose), mmap_lock, faults, sleeping,
 * its own spinlocks, mmu notifiers, and the uses of a pfn the runner can
 * observe (an access, a device or secondary-MMU map, a page reference).
 * Every call is a point where another CPU may change the page tables.
 *
 * Callers written in kernel style include pfnspec_caller_kernel.h instead.
 * See docs/callers.md.
 */
#ifndef PFNSPEC_CALLER_H
#define PFNSPEC_CALLER_H

#include <stdbool.h>
#include <stdint.h>

#include "pfnspec_walker.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The caller ABI this header describes. Bumped on any change of layout or meaning. */
#define PFNSPEC_CALLER_ABI_VERSION 1u

/* run()'s flags. */
#define PFNSPEC_CALLER_WRITE 0x1u /* the request writes (FOLL_WRITE) */

/* Where a map lives on after the call that made it. */
enum pfnspec_map_kind {
  PFNSPEC_MAP_IOMMU = 1,         /* iommu_map(): an IOVA of a device's IOMMU domain */
  PFNSPEC_MAP_SECONDARY_MMU = 2, /* a secondary MMU's entry (a KVM spte), keyed by gfn */
  PFNSPEC_MAP_DEVICE_TABLE = 3,  /* a device's own table (ACRN's EPT, a GPU page table) */
};

/* What the other CPU does to a range (mmu_notifier_range.event). */
enum pfnspec_notify_event {
  PFNSPEC_NOTIFY_ZAP = 1,        /* a leaf cleared (MMU_NOTIFY_UNMAP / _CLEAR) */
  PFNSPEC_NOTIFY_REMAP = 2,      /* a leaf replaced by another pfn */
  PFNSPEC_NOTIFY_SPLIT = 3,      /* a huge leaf replaced by a table */
  PFNSPEC_NOTIFY_COLLAPSE = 4,   /* a PTE table replaced by a huge leaf */
  PFNSPEC_NOTIFY_NONPRESENT = 5, /* a leaf replaced by a swap or migration entry */
  PFNSPEC_NOTIFY_FREE_TABLE = 6, /* an empty PTE table freed */
  PFNSPEC_NOTIFY_MPROTECT = 7,   /* write permission taken away (MMU_NOTIFY_PROTECTION_VMA) */
  PFNSPEC_NOTIFY_OTHER = 99,
};

/* The range an invalidation covers: [start, end). */
struct pfnspec_notifier_range {
  uint64_t start;
  uint64_t end;
  uint32_t event; /* enum pfnspec_notify_event */
};

struct pfnspec_notifier;
struct pfnspec_caller_host;

/*
 * A notifier's callbacks. The invalidate_range_*() pair runs on the other CPU,
 * in the middle of its change of the range, nested inside whatever host call
 * the caller's CPU was making (or after run() returned). Any may be NULL.
 * invalidate_range_start() must return 0 (the model's invalidations may
 * block). Inside them, call the host table in notifier->host.
 *
 * free_notifier() comes last, once the case is over and its mm gone, for a
 * notifier still registered: free what embeds the notifier. It must make no
 * host call. A notifier unregistered by the caller never gets it.
 */
struct pfnspec_notifier_ops {
  int (*invalidate_range_start)(struct pfnspec_notifier *notifier, const struct pfnspec_notifier_range *range);
  void (*invalidate_range_end)(struct pfnspec_notifier *notifier, const struct pfnspec_notifier_range *range);
  void (*free_notifier)(struct pfnspec_notifier *notifier);
};

/*
 * A notifier the caller registers; it must stay alive (and registered) as long
 * as the host may call it: past the return of run(), since the device keeps
 * its maps. Embed it in the caller's own struct and find that with
 * container_of().
 */
struct pfnspec_notifier {
  const struct pfnspec_notifier_ops *ops;
  /* Set by the host before each callback: the table to call from inside it. */
  const struct pfnspec_caller_host *host;
};

/*
 * The host table. Calls return 0, or nonzero when the caller did something the
 * kernel would not survive (a lock taken twice or released when not held, a
 * put_page() without a reference, a handle the host never gave out, a NULL
 * out-pointer, more calls than a terminating caller needs) or when the walker
 * serving a lookup faulted. On nonzero the run is over: call abandon(), which
 * does not return. The kernel shim does this for you.
 */
struct pfnspec_caller_host {
  uint32_t abi_version; /* PFNSPEC_CALLER_ABI_VERSION of the host */
  uint32_t size;        /* sizeof(struct pfnspec_caller_host) of the host */
  void *ctx;            /* pass to every call */

  /* The architecture of this case (as in struct pfnspec_host). */
  const char *arch_name;
  uint32_t page_shift;     /* PAGE_SHIFT */
  uint32_t level_shift[5]; /* PGDIR_SHIFT, P4D_SHIFT, PUD_SHIFT, PMD_SHIFT, PAGE_SHIFT */

  /* Lookups, served by the run's walker. args->vma and args->address are inputs; */
  /* lock and ptep are the walker's and must reach end() unchanged. */
  int (*follow_pfnmap_start)(void *ctx, struct pfnspec_args *args, int *result);
  int (*follow_pfnmap_end)(void *ctx, struct pfnspec_args *args);

  /* mmap_lock, faults, sleeping. */
  int (*mmap_read_lock)(void *ctx);
  int (*mmap_read_unlock)(void *ctx);
  /* *result = 0 when address is mapped (writable when write), -EFAULT otherwise. May sleep. */
  int (*fixup_user_fault)(void *ctx, uint64_t address, bool write, int *result);
  /* Anything that may sleep; what names it ("mutex_lock()", "kmalloc(GFP_KERNEL)"). */
  int (*might_sleep)(void *ctx, const char *what);

  /* The caller's own spinlocks: spin_lock_init() hands out an id (1, 2, ...). */
  int (*spin_lock_init)(void *ctx, uint64_t *lock_out);
  int (*spin_lock)(void *ctx, uint64_t lock);
  int (*spin_unlock)(void *ctx, uint64_t lock);

  /* mmu notifiers on the VMA's mm. */
  int (*register_notifier)(void *ctx, struct pfnspec_notifier *notifier, uint64_t *id_out);
  int (*unregister_notifier)(void *ctx, uint64_t id);

  /* The uses of a pfn. */
  int (*access)(void *ctx, uint64_t pfn, bool write);
  int (*map)(void *ctx, uint32_t kind, uint64_t key, uint64_t pfn, uint64_t pages, bool writable);
  int (*unmap)(void *ctx, uint32_t kind, uint64_t key);
  int (*get_page)(void *ctx, uint64_t pfn);
  int (*put_page)(void *ctx, uint64_t pfn);

  /* Leaves the run (or the notifier callback) after a call returned nonzero. Does not return. */
  void (*abandon)(const struct pfnspec_caller_host *host);
  void *abandon_context; /* the host's own */
};

/* What describe() answers. Strings must live as long as the shared object. */
struct pfnspec_caller_info {
  uint32_t abi_version; /* PFNSPEC_CALLER_ABI_VERSION the caller was built with: keep first */
  uint32_t size;        /* sizeof(struct pfnspec_caller_info) */
  const char *name;     /* as reports show it, e.g. "kvm-like-c" */
  const char *summary;  /* one line */
  const char *profile;  /* "strict" (no use after end()) or "synchronized" */
  const char *role;     /* "implementation", "legacy" or "mutant" */
};

typedef const struct pfnspec_caller_info *(*pfnspec_caller_describe_fn)(void);
typedef int (*pfnspec_caller_run_fn)(const struct pfnspec_caller_host *host, struct pfnspec_vma *vma,
                                     uint64_t address, uint32_t flags);

/* The exported symbol names. */
#define PFNSPEC_CALLER_DESCRIBE_SYMBOL "pfnspec_caller_describe"
#define PFNSPEC_CALLER_RUN_SYMBOL "pfnspec_caller_run"

#ifdef __cplusplus
}
#endif

#endif /* PFNSPEC_CALLER_H */
