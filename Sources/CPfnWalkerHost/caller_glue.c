#include "pfnspec_caller_glue.h"

#include <setjmp.h>
#include <stddef.h>

const struct pfnspec_caller_info *pfnspec_caller_glue_describe(void *describe_symbol) {
  pfnspec_caller_describe_fn describe = (pfnspec_caller_describe_fn)describe_symbol;
  return describe();
}

static void abandon_to_landing(const struct pfnspec_caller_host *host) {
  longjmp(*(jmp_buf *)host->abandon_context, 1);
}

int pfnspec_caller_glue_run(void *run_symbol, struct pfnspec_caller_host *host, struct pfnspec_vma *vma,
                            uint64_t address, uint32_t flags, int *result) {
  pfnspec_caller_run_fn run = (pfnspec_caller_run_fn)run_symbol;
  jmp_buf landing;
  void *volatile outer = host->abandon_context;
  host->abandon = abandon_to_landing;
  host->abandon_context = &landing;
  if (setjmp(landing) != 0) {
    host->abandon_context = outer;
    return 1;
  }
  *result = run(host, vma, address, flags);
  host->abandon_context = outer;
  return 0;
}

int pfnspec_caller_glue_notify(struct pfnspec_caller_host *host, struct pfnspec_notifier *notifier,
                               enum pfnspec_caller_glue_callback which, const struct pfnspec_notifier_range *range,
                               int *result) {
  jmp_buf landing;
  void *volatile outer = host->abandon_context;
  const struct pfnspec_caller_host *volatile outer_host = notifier->host;
  const struct pfnspec_notifier_ops *ops = notifier->ops;
  *result = 0;
  if (ops == NULL) return 0;
  host->abandon = abandon_to_landing;
  host->abandon_context = &landing;
  notifier->host = host;
  if (setjmp(landing) != 0) {
    host->abandon_context = outer;
    notifier->host = outer_host;
    return 1;
  }
  if (which == PFNSPEC_GLUE_INVALIDATE_RANGE_START) {
    if (ops->invalidate_range_start != NULL) *result = ops->invalidate_range_start(notifier, range);
  } else if (which == PFNSPEC_GLUE_INVALIDATE_RANGE_END) {
    if (ops->invalidate_range_end != NULL) ops->invalidate_range_end(notifier, range);
  } else if (ops->free_notifier != NULL) {
    /* Last: the notifier's memory may be gone when it returns. */
    ops->free_notifier(notifier);
    host->abandon_context = outer;
    return 0;
  }
  host->abandon_context = outer;
  notifier->host = outer_host;
  return 0;
}
