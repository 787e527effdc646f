#define _GNU_SOURCE
#include "pfnspec_host_glue.h"

#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const struct pfnspec_walker_info *pfnspec_glue_describe(void *describe_symbol) {
  pfnspec_walker_describe_fn describe = (pfnspec_walker_describe_fn)describe_symbol;
  return describe();
}

static void abandon_walk(const struct pfnspec_host *host) {
  longjmp(*(jmp_buf *)host->abandon_context, 1);
}

int pfnspec_glue_call_start(void *start_symbol, struct pfnspec_host *host, struct pfnspec_args *args,
                            int *result) {
  pfnspec_walker_start_fn start = (pfnspec_walker_start_fn)start_symbol;
  jmp_buf landing;
  void *volatile outer = host->abandon_context;
  host->abandon = abandon_walk;
  host->abandon_context = &landing;
  if (setjmp(landing) != 0) {
    host->abandon_context = outer;
    return 1;
  }
  *result = start(host, args);
  host->abandon_context = outer;
  return 0;
}

int pfnspec_glue_call_end(void *end_symbol, struct pfnspec_host *host, struct pfnspec_args *args) {
  pfnspec_walker_end_fn end = (pfnspec_walker_end_fn)end_symbol;
  jmp_buf landing;
  void *volatile outer = host->abandon_context;
  host->abandon = abandon_walk;
  host->abandon_context = &landing;
  if (setjmp(landing) != 0) {
    host->abandon_context = outer;
    return 1;
  }
  end(host, args);
  host->abandon_context = outer;
  return 0;
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

static void report_crash(int sig, siginfo_t *info, void *context) {
  (void)context;
  write_text("pfnspec-worker: caught ");
  write_text(signal_name(sig));
  if (sig != SIGABRT && info != NULL) {
    write_text(" at address ");
    write_hex((unsigned long)info->si_addr);
  }
  write_text("\n");
  /* SA_RESETHAND restored the default action: die by the same signal. */
  raise(sig);
}

void pfnspec_glue_install_crash_reporter(void) {
  static char alternate_stack[64 * 1024];
  stack_t stack = {.ss_sp = alternate_stack, .ss_size = sizeof alternate_stack, .ss_flags = 0};
  sigaltstack(&stack, NULL);
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = report_crash;
  action.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&action.sa_mask);
  int signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
  for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) sigaction(signals[i], &action, NULL);
}

#include <fcntl.h>

int pfnspec_glue_pipe_cloexec(int fds[2]) {
  return pipe2(fds, O_CLOEXEC);
}
