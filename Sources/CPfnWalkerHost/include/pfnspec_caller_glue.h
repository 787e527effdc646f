/*
 * The runner's side of the caller ABI. A caller plug-in's run() and its
 * notifier callbacks are called through here, each under its own setjmp
 * landing: a host call that faulted leaves with longjmp to the innermost
 * landing, without unwinding any Swift frame. A notifier callback runs nested
 * inside a host call the caller made (the other CPU acts at that point), so
 * its landing saves the caller's abandon_context and restores it on the way
 * out, whichever way out it takes.
 */
#ifndef PFNSPEC_CALLER_GLUE_H
#define PFNSPEC_CALLER_GLUE_H

#include "pfnspec_caller.h"

/* The describe() answer of a caller plug-in, from its describe symbol. */
const struct pfnspec_caller_info *pfnspec_caller_glue_describe(void *describe_symbol);

/*
 * Calls run(); returns 0 when it returned (its result in *result) or 1 when a
 * host call abandoned the run. Sets host->abandon and abandon_context.
 */
int pfnspec_caller_glue_run(void *run_symbol, struct pfnspec_caller_host *host, struct pfnspec_vma *vma,
                            uint64_t address, uint32_t flags, int *result);

/* Which callback pfnspec_caller_glue_notify() calls. */
enum pfnspec_caller_glue_callback {
  PFNSPEC_GLUE_INVALIDATE_RANGE_START = 0,
  PFNSPEC_GLUE_INVALIDATE_RANGE_END = 1,
  PFNSPEC_GLUE_FREE_NOTIFIER = 2,
};

/*
 * Calls one callback of a notifier (nothing when ops or the callback is NULL)
 * with notifier->host set to host; returns 0 when it returned (start()'s
 * answer in *result, 0 for the others) or 1 when a host call abandoned it.
 * After free_notifier() the notifier is not touched again.
 */
int pfnspec_caller_glue_notify(struct pfnspec_caller_host *host, struct pfnspec_notifier *notifier,
                               enum pfnspec_caller_glue_callback which, const struct pfnspec_notifier_range *range,
                               int *result);

#endif
