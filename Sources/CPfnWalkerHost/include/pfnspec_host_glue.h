/*
 * The runner's side of the walker ABI: what Swift cannot do by itself.
 * Calls into a plug-in go through here so that a host call that faulted can
 * leave the walk with longjmp without unwinding any Swift frame.
 */
#ifndef PFNSPEC_HOST_GLUE_H
#define PFNSPEC_HOST_GLUE_H

#include <stddef.h>
#include <stdint.h>

#include "pfnspec_walker.h"

/* The describe() answer of a plug-in, from its describe symbol. */
const struct pfnspec_walker_info *pfnspec_glue_describe(void *describe_symbol);

/*
 * Calls start(); returns 0 when it returned (its result in *result), 1 when
 * a host call abandoned the walk, 2 when the walker touched the guard page
 * after the calling thread's frame (pfnspec_glue_frame), 3 the one before it.
 * Sets host->abandon and abandon_context.
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
 * 0, 0 before its first walker call. The view is PROT_NONE until a walker
 * reads it. Inside a walker call, a load from it is a plain read: the glue's
 * SIGSEGV handler records the slot, makes the page readable and lets the load
 * go on (pfnspec_glue_take_plain_reads() collects the records). A store is a
 * write through an entry pointer: the glue turns it into a
 * report(PFNSPEC_REPORT_ENTRY_WRITE) and abandons the walk. Outside a walker
 * call a fault there crashes the worker with a line that says so. The handler
 * is installed with the first mirror (or by the crash reporter); in a process
 * without the crash reporter other faults go to the handler before it.
 */
void pfnspec_glue_mirror_range(uintptr_t *start, uintptr_t *end);

/*
 * The plain reads of the calling thread's mirror since the last call (at most
 * one per page of the view and call: the first read opens the page): the
 * handle and the level of each entry, up to capacity; their count. Closes
 * the view again, so the next plain read faults and is recorded. Cheap when
 * there is nothing: the host calls it before every host call it serves and
 * after every walker call, so that each read is judged against the locks
 * held when it was made.
 */
int pfnspec_glue_take_plain_reads(pfnspec_entry_ref *entries, uint8_t *levels, int capacity);

/*
 * Whether mirrors made from now on watch for plain reads (the default). Off,
 * the view is simply read-only: plain reads are not seen, stores still are
 * (`pfnspec bench plugin`'s run without isolation guards, for comparison).
 */
void pfnspec_glue_watch_plain_reads(int on);

/*
 * The calling thread's frame: *size writable bytes (two pages) between a
 * PROT_NONE guard page before and 16 after (64 KiB on 4 KiB pages), made on first use and kept. The host table and the
 * args a walker call sees live in it, the args at its very end, so that a
 * walker that writes (or reads) past them touches a guard page; inside a
 * walker call that ends the call (2 or 3 from pfnspec_glue_call_*). NULL when
 * it cannot be mapped.
 */
void *pfnspec_glue_frame(size_t *size);

/* pipe2(fds, O_CLOEXEC): pipes that no other child inherits. */
int pfnspec_glue_pipe_cloexec(int fds[2]);

#endif

#ifndef PFNSPEC_HOST_GLUE_PROCESSES_H
#define PFNSPEC_HOST_GLUE_PROCESSES_H
/* pidfd_open(pid): a descriptor that polls readable once the process ends; -1 where unsupported. */
int pfnspec_glue_pidfd_open(int pid);

/* PR_SET_CHILD_SUBREAPER: orphaned descendants (setsid daemons included) become our children. */
int pfnspec_glue_become_subreaper(void);

/* PR_SET_PDEATHSIG(sig), and sig at once when the parent is no longer expected_parent. */
int pfnspec_glue_die_with_parent(int sig, int expected_parent);

/* The calling process's children (every thread's), into pids; their count, or -1. */
int pfnspec_glue_children(int *pids, int capacity);

/*
 * Kills every child but `keep` with SIGKILL and reaps it, again and again
 * while orphans re-parented to this subreaper appear; how many were killed.
 * Async-signal-safe.
 */
int pfnspec_glue_kill_descendants(int keep);

/* Between cases: cancels alarm() and every itimer, restores the default action
 * of the signals a walker arms for itself, and unblocks every signal. */
void pfnspec_glue_reset_case_signals(void);

/* The resource limits of a worker. */
enum pfnspec_glue_limit { PFNSPEC_GLUE_LIMIT_AS, PFNSPEC_GLUE_LIMIT_CPU, PFNSPEC_GLUE_LIMIT_NOFILE, PFNSPEC_GLUE_LIMIT_NPROC };

/* setrlimit to `soft` (hard too, except for RLIMIT_CPU, whose hard limit
 * stays 5 s above to send SIGXCPU first); clamped to the hard limit. */
int pfnspec_glue_set_limit(enum pfnspec_glue_limit which, unsigned long long soft);

/* The soft RLIMIT_NOFILE. */
long pfnspec_glue_open_files_limit(void);

/*
 * Makes this process a worker that leaves nothing behind: a subreaper of what
 * the plug-in forks, killed with it (the crash reporter and SIGTERM/SIGHUP
 * kill every descendant first), and SIGTERM when the parent dies.
 */
int pfnspec_glue_guard_worker(int expected_parent);
#endif
