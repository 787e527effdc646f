#define _GNU_SOURCE
#include "pfnspec_host_glue.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdint.h>
#include <sys/mman.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcntl.h>
#include <sys/resource.h>

static void append_text(char *to, size_t size, const char *text);
static void append_number(char *to, size_t size, long value);

const struct pfnspec_walker_info *pfnspec_glue_describe(void *describe_symbol) {
  pfnspec_walker_describe_fn describe = (pfnspec_walker_describe_fn)describe_symbol;
  return describe();
}

static void abandon_walk(const struct pfnspec_host *host) {
  longjmp(*(jmp_buf *)host->abandon_context, 1);
}

/* ---- The mirror of entries (struct pfnspec_mirror) ------------------------ */

enum { MIRROR_SLOTS = 1024 };

/* One mirror per thread, made on first use and kept: walks run side by side in tests. */
static _Thread_local struct pfnspec_mirror *thread_mirror;
static _Thread_local int thread_mirror_failed;
/* The landing of the walker call in progress on this thread, for a store into the view. */
static _Thread_local jmp_buf *thread_landing;
static _Thread_local long thread_mirror_fault_slot;
/*
 * Plain reads of the view: it is PROT_NONE while nothing reads it, so a load
 * through an entry pointer faults; the handler records the slot here, makes
 * that page readable and lets the load go on. pfnspec_glue_take_plain_reads()
 * hands the records to the host and closes the view again.
 */
static _Thread_local uint16_t thread_read_slots[1024];
static _Thread_local uint32_t thread_read_count;
/* The pages of the view a plain read opened (bit i: page i), to close again. */
static _Thread_local uint64_t thread_open_pages;
/* The calling thread's guarded frame (pfnspec_glue_frame) and which guard a walker call touched. */
static _Thread_local unsigned char *thread_frame;
static _Thread_local size_t thread_frame_size;
static _Thread_local int thread_frame_guard_touched;
static volatile sig_atomic_t crash_reporter_installed;
/* Whether new mirrors watch for plain reads (a PROT_NONE view); off, the view is PROT_READ. */
static volatile sig_atomic_t plain_reads_watched = 1;
/* The glue's SIGSEGV handler is installed (by the crash reporter, or for the first mirror). */
static volatile sig_atomic_t fault_handler_installed;
/* What SIGSEGV did before the glue's handler, for a fault that is not the mirror's (in-process runs). */
static struct sigaction previous_segv_action;
static void report_crash(int sig, siginfo_t *info, void *context);
static void install_mirror_fault_handler(void);
/* Set by pfnspec_glue_guard_worker(): the crash reporter also kills the worker's descendants. */
static volatile sig_atomic_t descendants_die_with_worker;

static size_t page_bytes(void) {
  static size_t page;
  if (page == 0) page = (size_t)sysconf(_SC_PAGESIZE);
  return page;
}

static struct pfnspec_mirror *mirror_for_thread(void) {
  if (thread_mirror != NULL || thread_mirror_failed) return thread_mirror;
  size_t bytes = MIRROR_SLOTS * sizeof(uint64_t);
  int fd = memfd_create("pfnspec-entry-mirror", MFD_CLOEXEC);
  void *values = MAP_FAILED, *view = MAP_FAILED;
  if (fd >= 0 && ftruncate(fd, (off_t)bytes) == 0) {
    values = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    /* PROT_NONE: a plain read faults, is recorded, and opens its page until the next host call. */
    view = mmap(NULL, bytes, plain_reads_watched ? PROT_NONE : PROT_READ, MAP_SHARED, fd, 0);
  }
  if (fd >= 0) close(fd);
  struct pfnspec_mirror *mirror = calloc(1, sizeof *mirror);
  pfnspec_entry_ref *handles = calloc(MIRROR_SLOTS, sizeof *handles);
  uint8_t *levels = calloc(MIRROR_SLOTS, 1);
  if (values == MAP_FAILED || view == MAP_FAILED || mirror == NULL || handles == NULL || levels == NULL) {
    /* No mirror: the shim hands out opaque handles, as before the mirror. */
    if (values != MAP_FAILED) munmap(values, bytes);
    if (view != MAP_FAILED) munmap(view, bytes);
    free(mirror);
    free(handles);
    free(levels);
    thread_mirror_failed = 1;
    return NULL;
  }
  mirror->view = view;
  mirror->values = values;
  mirror->handles = handles;
  mirror->levels = levels;
  mirror->capacity = MIRROR_SLOTS;
  mirror->count = 0;
  thread_mirror = mirror;
  (void)page_bytes(); /* known before the first fault: the handler only reads it */
  install_mirror_fault_handler();
  return mirror;
}

/* The slot of the view an address falls in, or -1. */
static long mirror_slot(const void *address) {
  const struct pfnspec_mirror *mirror = thread_mirror;
  if (mirror == NULL) return -1;
  uintptr_t start = (uintptr_t)mirror->view;
  uintptr_t at = (uintptr_t)address;
  if (at < start || at >= start + (uintptr_t)mirror->capacity * sizeof(uint64_t)) return -1;
  return (long)((at - start) / sizeof(uint64_t));
}

void pfnspec_glue_mirror_range(uintptr_t *start, uintptr_t *end) {
  const struct pfnspec_mirror *mirror = thread_mirror;
  *start = mirror ? (uintptr_t)mirror->view : 0;
  *end = mirror ? (uintptr_t)mirror->view + (uintptr_t)mirror->capacity * sizeof(uint64_t) : 0;
}

/* Closes every page of the view a plain read opened. Async-signal-safe. */
static void close_view(void) {
  const struct pfnspec_mirror *mirror = thread_mirror;
  if (mirror == NULL || thread_open_pages == 0) return;
  size_t page = page_bytes();
  for (unsigned i = 0; i < 64 && thread_open_pages != 0; i++) {
    if (!(thread_open_pages & (1ull << i))) continue;
    mprotect((char *)(uintptr_t)mirror->view + i * page, page, PROT_NONE);
    thread_open_pages &= ~(1ull << i);
  }
}

void pfnspec_glue_watch_plain_reads(int on) { plain_reads_watched = on != 0; }

int pfnspec_glue_take_plain_reads(pfnspec_entry_ref *entries, uint8_t *levels, int capacity) {
  if (thread_read_count == 0 && thread_open_pages == 0) return 0;
  const struct pfnspec_mirror *mirror = thread_mirror;
  int taken = 0;
  for (uint32_t i = 0; i < thread_read_count && taken < capacity; i++) {
    uint16_t slot = thread_read_slots[i];
    if (mirror == NULL || slot >= mirror->count) continue;
    entries[taken] = mirror->handles[slot];
    levels[taken] = mirror->levels[slot];
    taken++;
  }
  thread_read_count = 0;
  close_view();
  return taken;
}

/*
 * Whether a fault at a view slot is a store. x86_64 says so in the page-fault
 * error code; elsewhere a fault on a page the glue already opened for reading
 * can only be a store, and a first fault is taken for a read: a store then
 * faults again on the readable page (and its walk ends at that second fault).
 */
static int fault_is_store(long slot, void *context) {
  size_t page = (size_t)slot * sizeof(uint64_t) / page_bytes();
  if (page < 64 && (thread_open_pages & (1ull << page))) return 1;
#if defined(__x86_64__) && defined(REG_ERR)
  const ucontext_t *uc = context;
  if (uc != NULL) return (uc->uc_mcontext.gregs[REG_ERR] & 0x2) != 0;
#else
  (void)context;
#endif
  return 0;
}

/*
 * A load from a closed page of the view inside a walker call: records the
 * slot, opens the page and returns 1, so that the load runs again and reads
 * the entry. 0 for any other fault. Async-signal-safe.
 */
static int record_plain_read(long slot, void *context) {
  const struct pfnspec_mirror *mirror = thread_mirror;
  if (mirror == NULL || thread_landing == NULL || fault_is_store(slot, context)) return 0;
  size_t page = (size_t)slot * sizeof(uint64_t) / page_bytes();
  if (page >= 64) return 0;
  if (mprotect((char *)(uintptr_t)mirror->view + page * page_bytes(), page_bytes(), PROT_READ) != 0) return 0;
  thread_open_pages |= 1ull << page;
  if (thread_read_count < sizeof thread_read_slots / sizeof thread_read_slots[0])
    thread_read_slots[thread_read_count++] = (uint16_t)slot;
  return 1;
}

/* Gives the host table its mirror (when the host's table has the field). */
static void attach_mirror(struct pfnspec_host *host) {
  if (PFNSPEC_HOST_HAS(host, mirror) && host->peek != NULL) host->mirror = mirror_for_thread();
}

/*
 * After a store into the view: the walker wrote an entry through a plain
 * pointer. Tells the host, which ends the walk with a fault naming the entry.
 */
static void report_entry_write(struct pfnspec_host *host, long slot) {
  const struct pfnspec_mirror *mirror = thread_mirror;
  pfnspec_entry_ref handle = 0;
  enum pfnspec_level level = PFNSPEC_PGD;
  if (mirror != NULL && slot >= 0 && (uint32_t)slot < mirror->count) {
    handle = mirror->handles[slot];
    level = (enum pfnspec_level)mirror->levels[slot];
  }
  if (PFNSPEC_HOST_HAS(host, report) && host->report != NULL)
    host->report(host->ctx, PFNSPEC_REPORT_ENTRY_WRITE, handle, level,
                 "a store through a page-table entry pointer");
}

/* Calls a walker export with a landing for abandon() and for a store into the mirror. */
#define PFNSPEC__GLUE_CALL(host, call)                    \
  do {                                                    \
    jmp_buf landing;                                      \
    void *volatile outer = host->abandon_context;         \
    jmp_buf *volatile outer_landing = thread_landing;     \
    host->abandon = abandon_walk;                         \
    host->abandon_context = &landing;                     \
    attach_mirror(host);                                  \
    thread_mirror_fault_slot = -1;                        \
    thread_frame_guard_touched = 0;                       \
    if (outer_landing == NULL) {                          \
      /* Reads from before this call were the host's to take. */ \
      thread_read_count = 0;                              \
      close_view();                                       \
    }                                                     \
    if (setjmp(landing) != 0) {                           \
      thread_landing = outer_landing;                     \
      host->abandon_context = outer;                      \
      if (thread_frame_guard_touched) return 1 + thread_frame_guard_touched; \
      if (thread_mirror_fault_slot >= 0) report_entry_write(host, thread_mirror_fault_slot); \
      return 1;                                           \
    }                                                     \
    thread_landing = &landing;                            \
    call;                                                 \
    thread_landing = outer_landing;                       \
    host->abandon_context = outer;                        \
    return 0;                                             \
  } while (0)

int pfnspec_glue_call_start(void *start_symbol, struct pfnspec_host *host, struct pfnspec_args *args,
                            int *result) {
  pfnspec_walker_start_fn start = (pfnspec_walker_start_fn)start_symbol;
  PFNSPEC__GLUE_CALL(host, *result = start(host, args));
}

int pfnspec_glue_call_end(void *end_symbol, struct pfnspec_host *host, struct pfnspec_args *args) {
  pfnspec_walker_end_fn end = (pfnspec_walker_end_fn)end_symbol;
  PFNSPEC__GLUE_CALL(host, end(host, args));
}

/* Async-signal-safe formatting: only write(2). */
static void write_text(const char *text) {
  size_t length = strlen(text);
  while (length > 0) {
    ssize_t written = write(STDERR_FILENO, text, length);
    if (written <= 0) return;
    text += written;
    length -= (size_t)written;
  }
}

static void write_hex(unsigned long value) {
  char digits[19] = "0x";
  char reversed[16];
  int count = 0;
  do {
    reversed[count++] = "0123456789abcdef"[value & 0xf];
    value >>= 4;
  } while (value != 0 && count < 16);
  for (int i = 0; i < count; i++) digits[2 + i] = reversed[count - 1 - i];
  digits[2 + count] = 0;
  write_text(digits);
}

static const char *signal_name(int sig) {
  switch (sig) {
  case SIGSEGV: return "SIGSEGV";
  case SIGBUS: return "SIGBUS";
  case SIGILL: return "SIGILL";
  case SIGFPE: return "SIGFPE";
  case SIGABRT: return "SIGABRT";
  default: return "signal";
  }
}

/* Guard pages after the frame: a write a few KiB past the args still lands in them. */
enum { FRAME_GUARD_PAGES_AFTER = 16 };

/* 1 when an address falls in the guard pages after the thread's frame, 2 in the one before it, else 0. */
static int frame_guard(const void *address) {
  if (thread_frame == NULL) return 0;
  uintptr_t at = (uintptr_t)address, page = (uintptr_t)sysconf(_SC_PAGESIZE);
  uintptr_t start = (uintptr_t)thread_frame, end = start + thread_frame_size;
  if (at >= end && at < end + FRAME_GUARD_PAGES_AFTER * page) return 1;
  if (at >= start - page && at < start) return 2;
  return 0;
}

void *pfnspec_glue_frame(size_t *size) {
  if (thread_frame == NULL) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t bytes = 2 * page;
    size_t after = FRAME_GUARD_PAGES_AFTER * page;
    unsigned char *region = mmap(NULL, page + bytes + after, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED) return NULL;
    mprotect(region, page, PROT_NONE);
    mprotect(region + page + bytes, after, PROT_NONE);
    thread_frame = region + page;
    thread_frame_size = bytes;
  }
  *size = thread_frame_size;
  return thread_frame;
}

/*
 * After a crash: when the address space is past 3/4 of RLIMIT_AS, says so
 * ("pfnspec-worker: address space at N MiB of the M MiB limit"), for a
 * verdict that names the limit. Async-signal-safe.
 */
static void report_address_space(void) {
  struct rlimit limit;
  if (getrlimit(RLIMIT_AS, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return;
  char text[128];
  int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ssize_t count = read(fd, text, sizeof text - 1);
  close(fd);
  if (count <= 0) return;
  text[count] = 0;
  unsigned long pages = 0;
  for (char *c = text; *c >= '0' && *c <= '9'; c++) pages = pages * 10 + (unsigned long)(*c - '0');
  unsigned long bytes = pages * (unsigned long)sysconf(_SC_PAGESIZE);
  if (bytes < limit.rlim_cur / 4 * 3) return;
  char line[160] = "pfnspec-worker: address space at ";
  append_number(line, sizeof line, (long)(bytes >> 20));
  append_text(line, sizeof line, " MiB of the ");
  append_number(line, sizeof line, (long)(limit.rlim_cur >> 20));
  append_text(line, sizeof line, " MiB limit\n");
  write_text(line);
}

static void report_crash(int sig, siginfo_t *info, void *context) {
  long slot = (sig == SIGSEGV || sig == SIGBUS) && info != NULL ? mirror_slot(info->si_addr) : -1;
  /* A plain read through an entry pointer: recorded, and the load goes on. */
  if (slot >= 0 && sig == SIGSEGV && record_plain_read(slot, context)) return;
  int guard = (sig == SIGSEGV || sig == SIGBUS) && info != NULL ? frame_guard(info->si_addr) : 0;
  if (!crash_reporter_installed) {
    /* In-process (no crash reporter): a store into the view inside a walker call is still a
       verdict; anything else is for whoever handled SIGSEGV before the glue. */
    if (slot >= 0 && thread_landing != NULL) {
      thread_mirror_fault_slot = slot;
      longjmp(*thread_landing, 1);
    }
    if (previous_segv_action.sa_flags & SA_SIGINFO) {
      if (previous_segv_action.sa_sigaction != NULL) previous_segv_action.sa_sigaction(sig, info, context);
      return;
    }
    if (previous_segv_action.sa_handler != SIG_DFL && previous_segv_action.sa_handler != SIG_IGN) {
      previous_segv_action.sa_handler(sig);
      return;
    }
    /* The default action: restore it, and the faulting access runs again and ends the process. */
    sigaction(SIGSEGV, &previous_segv_action, NULL);
    return;
  }
  if (guard != 0 && thread_landing != NULL) {
    /* A touch of a guard page around the args and host structs, inside a walker call: a verdict. */
    thread_frame_guard_touched = guard;
    longjmp(*thread_landing, 1);
  }
  if (slot >= 0 && thread_landing != NULL) {
    /* A store into the read-only view, inside a walker call: a verdict, not a crash. */
    thread_mirror_fault_slot = slot;
    longjmp(*thread_landing, 1);
  }
  write_text("pfnspec-worker: caught ");
  write_text(signal_name(sig));
  if (sig != SIGABRT && info != NULL) {
    write_text(" at address ");
    write_hex((unsigned long)info->si_addr);
  }
  if (slot >= 0) write_text(" (the walker touched a page-table entry through a plain pointer outside a walker call)");
  write_text("\n");
  report_address_space();
  /* Whatever the walker forked dies with the worker (this process is their subreaper). */
  if (descendants_die_with_worker) pfnspec_glue_kill_descendants(-1);
  /* Die by the same signal, with its default action. */
  struct sigaction fallback;
  memset(&fallback, 0, sizeof fallback);
  fallback.sa_handler = SIG_DFL;
  sigemptyset(&fallback.sa_mask);
  sigaction(sig, &fallback, NULL);
  raise(sig);
}

/*
 * The glue's SIGSEGV handler for a process without the crash reporter (a test
 * that calls a plug-in in-process): plain reads of the view are recorded as in
 * a worker, and every other fault goes to the handler that was there before.
 */
static void install_mirror_fault_handler(void) {
  if (fault_handler_installed) return;
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = report_crash;
  action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&action.sa_mask);
  if (sigaction(SIGSEGV, &action, &previous_segv_action) == 0) fault_handler_installed = 1;
}

void pfnspec_glue_install_crash_reporter(void) {
  static char alternate_stack[64 * 1024];
  stack_t stack = {.ss_sp = alternate_stack, .ss_size = sizeof alternate_stack, .ss_flags = 0};
  sigaltstack(&stack, NULL);
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = report_crash;
  /* No SA_RESETHAND: a plain read of the mirror returns from the handler and must find it again. */
  action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&action.sa_mask);
  crash_reporter_installed = 1;
  int signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
  for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) sigaction(signals[i], &action, NULL);
  fault_handler_installed = 1;
}

#include <fcntl.h>

int pfnspec_glue_pipe_cloexec(int fds[2]) {
  return pipe2(fds, O_CLOEXEC);
}

/* ---- Processes: no survivors ---------------------------------------------- */

#include <dirent.h>
#include <errno.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

int pfnspec_glue_pidfd_open(int pid) {
#ifdef SYS_pidfd_open
  int fd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (fd >= 0) fcntl(fd, F_SETFD, FD_CLOEXEC);
  return fd;
#else
  (void)pid;
  errno = ENOSYS;
  return -1;
#endif
}

int pfnspec_glue_become_subreaper(void) { return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); }

int pfnspec_glue_die_with_parent(int sig, int expected_parent) {
  if (prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0) != 0) return -1;
  /* The parent may have died before the prctl: then nobody would send the signal. */
  if (expected_parent > 0 && getppid() != expected_parent) raise(sig);
  return 0;
}

/* Async-signal-safe decimal parsing of a children file's text. */
static int read_small_file(const char *path, char *buffer, size_t size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t total = 0;
  while ((size_t)total < size - 1) {
    ssize_t count = read(fd, buffer + total, size - 1 - (size_t)total);
    if (count <= 0) break;
    total += count;
  }
  close(fd);
  buffer[total] = 0;
  return (int)total;
}

static void append_text(char *to, size_t size, const char *text) {
  size_t at = strlen(to);
  while (*text && at + 1 < size) to[at++] = *text++;
  to[at] = 0;
}

static void append_number(char *to, size_t size, long value) {
  char digits[24];
  int count = 0;
  do {
    digits[count++] = (char)('0' + value % 10);
    value /= 10;
  } while (value > 0 && count < 23);
  char reversed[24];
  for (int i = 0; i < count; i++) reversed[i] = digits[count - 1 - i];
  reversed[count] = 0;
  append_text(to, size, reversed);
}

struct linux_dirent64_view {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

long pfnspec_glue_open_files_limit(void) {
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 256;
  return limit.rlim_cur == RLIM_INFINITY ? 65536 : (long)limit.rlim_cur;
}

int pfnspec_glue_children(int *pids, int capacity) {
  int found = 0;
  int dir = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return -1;
  char entries[4096];
  for (;;) {
    long count = syscall(SYS_getdents64, dir, entries, sizeof entries);
    if (count <= 0) break;
    for (long offset = 0; offset < count;) {
      struct linux_dirent64_view *entry = (struct linux_dirent64_view *)(entries + offset);
      offset += entry->d_reclen;
      if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
      char path[96] = "/proc/self/task/";
      append_text(path, sizeof path, entry->d_name);
      append_text(path, sizeof path, "/children");
      char text[4096];
      if (read_small_file(path, text, sizeof text) <= 0) continue;
      long value = -1;
      for (char *c = text;; c++) {
        if (*c >= '0' && *c <= '9') {
          value = (value < 0 ? 0 : value * 10) + (*c - '0');
        } else {
          if (value > 0 && found < capacity) pids[found++] = (int)value;
          value = -1;
          if (*c == 0) break;
        }
      }
    }
  }
  close(dir);
  return found;
}

int pfnspec_glue_kill_descendants(int keep) {
  int killed = 0;
  for (int round = 0; round < 200; round++) {
    int pids[512];
    int count = pfnspec_glue_children(pids, 512);
    int others = 0;
    for (int i = 0; i < count; i++) {
      if (pids[i] == keep) continue;
      others++;
      kill(pids[i], SIGKILL);
      killed++;
    }
    for (int i = 0; i < count; i++)
      if (pids[i] != keep) waitpid(pids[i], NULL, 0);
    if (others == 0) break;
    /* Their children are re-parented to this subreaper as they die: look again. */
    struct timespec pause = {.tv_sec = 0, .tv_nsec = 1000000};
    nanosleep(&pause, NULL);
  }
  (void)append_number;
  return killed;
}

void pfnspec_glue_reset_case_signals(void) {
  alarm(0);
  struct itimerval off;
  memset(&off, 0, sizeof off);
  setitimer(ITIMER_REAL, &off, NULL);
  setitimer(ITIMER_VIRTUAL, &off, NULL);
  setitimer(ITIMER_PROF, &off, NULL);
  int armed[] = {SIGALRM, SIGVTALRM, SIGPROF, SIGUSR1, SIGUSR2, SIGCHLD, SIGPIPE, SIGXCPU};
  for (size_t i = 0; i < sizeof armed / sizeof armed[0]; i++) signal(armed[i], armed[i] == SIGPIPE ? SIG_IGN : SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
}

int pfnspec_glue_set_limit(enum pfnspec_glue_limit which, unsigned long long soft) {
  int resource = which == PFNSPEC_GLUE_LIMIT_AS ? RLIMIT_AS
               : which == PFNSPEC_GLUE_LIMIT_CPU ? RLIMIT_CPU
               : which == PFNSPEC_GLUE_LIMIT_NOFILE ? RLIMIT_NOFILE : RLIMIT_NPROC;
  struct rlimit limit;
  if (getrlimit(resource, &limit) != 0) return -1;
  rlim_t wanted = (rlim_t)soft;
  if (limit.rlim_max != RLIM_INFINITY && wanted > limit.rlim_max) wanted = limit.rlim_max;
  limit.rlim_cur = wanted;
  /* The hard CPU limit stays a little above the soft one: SIGXCPU first, then SIGKILL. */
  if (resource == RLIMIT_CPU) {
    if (limit.rlim_max == RLIM_INFINITY || limit.rlim_max > wanted + 5) limit.rlim_max = wanted + 5;
  } else {
    limit.rlim_max = wanted;
  }
  return setrlimit(resource, &limit);
}

/* The parent died (PR_SET_PDEATHSIG): take every descendant along, then die. */
static void parent_died(int sig) {
  (void)sig;
  pfnspec_glue_kill_descendants(-1);
  _exit(128 + SIGTERM);
}

int pfnspec_glue_guard_worker(int expected_parent) {
  int failed = pfnspec_glue_become_subreaper() != 0;
  descendants_die_with_worker = 1;
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = parent_died;
  sigfillset(&action.sa_mask);
  sigaction(SIGTERM, &action, NULL);
  sigaction(SIGHUP, &action, NULL);
  sigset_t deaths;
  sigemptyset(&deaths);
  sigaddset(&deaths, SIGTERM);
  sigaddset(&deaths, SIGHUP);
  pthread_sigmask(SIG_UNBLOCK, &deaths, NULL);
  failed |= pfnspec_glue_die_with_parent(SIGTERM, expected_parent) != 0;
  return failed ? -1 : 0;
}
