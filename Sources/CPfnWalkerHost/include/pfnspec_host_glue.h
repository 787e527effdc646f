/*
 * The runner's side of the walker ABI: what Swift cannot do by itself.
 * Calls into a plug-in go through here so that a host call that faulted can
 * leave the walk with longjmp without unwinding any Swift frame.
 */
#ifndef PFNSPEC_HOST_GLUE_H
#define PFNSPEC_HOST_GLUE_H

#include <stdint.h>

#include "pfnspec_walker.h"

/* The describe() answer of a plug-in, from its describe symbol. */
const struct pfnspec_walker_info *pfnspec_glue_describe(void *describe_symbol);

/*
 * Calls start(); returns 0 when it returned (its result in *result) or 1 when
 * a host call abandoned the walk. Sets host->abandon and abandon_context.
 */
int pfnspec_glue_call_start(void *start_symbol, struct pfnspec_host *host, struct pfnspec_args *args,
                            int *result);

/* Calls end(); returns 0 when it returned, 1 when the walk was abandoned. */
int pfnspec_glue_call_end(void *end_symbol, struct pfnspec_host *host, struct pfnspec_args *args);

/*
 * Installs handlers for SIGSEGV, SIGBUS, SIGILL, SIGFPE and SIGABRT that write
 * one line, "pfnspec-worker: caught SIGSEGV at address 0x...", to standard
 * error and then die by the same signal, so the parent can name the crash.
 */
void pfnspec_glue_install_crash_reporter(void);

/*
 * The calling thread's mirror view (struct pfnspec_mirror): [start, end), or
 * 0, 0 before its first walker call. A SIGSEGV in this range is a store
 * through an entry pointer: inside a walker call the glue turns it into a
 * report(PFNSPEC_REPORT_ENTRY_WRITE) and abandons the walk; elsewhere the
 * crash line says "the walker wrote a page-table entry through a plain pointer".
 */
void pfnspec_glue_mirror_range(uintptr_t *start, uintptr_t *end);

/* pipe2(fds, O_CLOEXEC): pipes that no other child inherits. */
int pfnspec_glue_pipe_cloexec(int fds[2]);

#endif
