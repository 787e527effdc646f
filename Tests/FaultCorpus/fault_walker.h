/*
 * The fault corpus: the C example walker with one way of going wrong, which
 * strikes only for addresses in an odd page, so that every run mixes cases
 * that pass with cases that fault. Each folder beside this file defines one
 * PFNSPEC_FAULT_* switch and includes this file; the package builds each as
 * a shared object (libPfnFault*.so).
 *
 * The exports are written out with the raw ABI (pfnspec_walker.h) rather than
 * PFNSPEC_KERNEL_WALKER, so the corpus also exercises the ABI directly.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <linux/mm.h>

/* Take the example's walk under other names, without its exports. */
#undef PFNSPEC_KERNEL_WALKER
#define PFNSPEC_KERNEL_WALKER(...)
#define follow_pfnmap_start example_follow_pfnmap_start
#define follow_pfnmap_end example_follow_pfnmap_end
int example_follow_pfnmap_start(struct follow_pfnmap_args *args);
void example_follow_pfnmap_end(struct follow_pfnmap_args *args);
#include "../../Examples/CWalker/reference/follow_pfnmap.c"
#undef follow_pfnmap_start
#undef follow_pfnmap_end

_Thread_local const struct pfnspec_host *pfnspec_current_host;

#ifndef PFNSPEC_FAULT_DESCRIPTION
#define PFNSPEC_FAULT_DESCRIPTION "the C example, except that for addresses in odd pages it " PFNSPEC_FAULT_SUMMARY
#endif

static bool strikes(const struct follow_pfnmap_args *args)
{
#if defined(PFNSPEC_FAULT_CRASH_ALWAYS)
	/* Every case dies: the worst a plug-in can do to the run's pace. */
	return true;
#endif
	return (args->address >> PAGE_SHIFT) & 1;
}

static int faulty_start(struct follow_pfnmap_args *args)
{
	if (!strikes(args))
		return example_follow_pfnmap_start(args);
#if defined(PFNSPEC_FAULT_NULL_DEREF)
	struct vm_area_struct *volatile nothing = NULL;
	return (int)nothing->vm_flags;
#elif defined(PFNSPEC_FAULT_ABORT) || defined(PFNSPEC_FAULT_CRASH_ALWAYS)
	abort();
#elif defined(PFNSPEC_FAULT_LOOP_FOREVER)
	for (;;)
		__asm__ volatile("");
#elif defined(PFNSPEC_FAULT_EXIT)
	exit(3);
#elif defined(PFNSPEC_FAULT_PRINT_GARBAGE)
	/* Harmless for a plug-in: the worker keeps its channel off stdout. */
	printf("garbage from the walker {\"not\": \"an event\"\n");
	fflush(stdout);
	return example_follow_pfnmap_start(args);
#elif defined(PFNSPEC_FAULT_SUCCESS_HOLDING_NOTHING)
	int result = example_follow_pfnmap_start(args);
	if (result == 0) {
		example_follow_pfnmap_end(args);
		args->lock = NULL;
		args->ptep = NULL;
	}
	return result;
#elif defined(PFNSPEC_FAULT_LEAK_LOCK)
	int result = example_follow_pfnmap_start(args);
	args->lock = NULL; /* end() will not know to release it */
	args->ptep = NULL;
	return result;
#elif defined(PFNSPEC_FAULT_NULL_OUT)
	/* The host must refuse the call as a fault, not store through NULL. */
	PFNSPEC__CHECK(PFNSPEC__H->pgd_offset(PFNSPEC__H->ctx, (const struct pfnspec_mm *)args->vma->vm_mm,
					      args->address, NULL));
	return example_follow_pfnmap_start(args);
#elif defined(PFNSPEC_FAULT_WRITE_THROUGH_POINTER)
	/* Clears the top-level entry with a plain store, as no walker may. */
	pgd_t *pgdp = pgd_offset(args->vma->vm_mm, args->address);
	*pgdp = (pgd_t){0};
	return -EINVAL;
#elif defined(PFNSPEC_FAULT_FORGE_DONE)
	/* Announces the end of the run on every descriptor it has, then leaves as if all went well. */
	static const char done[] = "{\"done\":{}}\n";
	for (int fd = 3; fd < 4096; fd++)
		(void)!write(fd, done, sizeof done - 1);
	_exit(0);
#elif defined(PFNSPEC_FAULT_FORK_CHILDREN)
	/* Leaves a child in the worker's process group and a setsid daemon behind. */
	if (fork() == 0) {
		for (;;)
			pause();
	}
	if (fork() == 0) {
		setsid();
		if (fork() == 0) {
			for (;;)
				pause();
		}
		_exit(0);
	}
	return example_follow_pfnmap_start(args);
#elif defined(PFNSPEC_FAULT_HOLD_PIPE_CRASH)
	/* A child keeps every descriptor (the channel too) open while the worker crashes. */
	if (fork() == 0) {
		for (;;)
			pause();
	}
	struct vm_area_struct *volatile nothing = NULL;
	return (int)nothing->vm_flags;
#elif defined(PFNSPEC_FAULT_ALARM)
	/* Arms a timer for itself that would strike whatever case runs 200 ms later. */
	struct itimerval soon = {.it_value = {.tv_sec = 0, .tv_usec = 200000}};
	setitimer(ITIMER_REAL, &soon, NULL);
	return example_follow_pfnmap_start(args);
#elif defined(PFNSPEC_FAULT_GROW_MEMORY)
	/* Reserves memory until none is left, then uses what malloc gave without checking. */
	char *volatile last = NULL;
	for (int i = 0; i < 16384; i++) {
		char *block = malloc((size_t)64 << 20);
		last = block;
		if (block == NULL)
			break;
	}
	last[0] = 1;
	return example_follow_pfnmap_start(args);
#elif defined(PFNSPEC_FAULT_CLOSE_AND_SPIN)
	/* Closes every descriptor it has (the channel among them) and spins. */
	for (int fd = 0; fd < 4096; fd++)
		close(fd);
	for (;;)
		__asm__ volatile("");
#elif defined(PFNSPEC_FAULT_SCRIBBLE_FAR)
	/* Writes a page past the args, beyond any guard bytes. */
	((volatile char *)args)[sizeof(*args) + 4096] = 0x5a;
	return 0;
#elif defined(PFNSPEC_FAULT_SCRIBBLE_ARGS)
	memset(args, 0xa5, sizeof(*args) + 32);
	return 0;
#else
#error "define one PFNSPEC_FAULT_* switch"
#endif
}

__attribute__((visibility("default"))) const struct pfnspec_walker_info *pfnspec_walker_describe(void)
{
	static const struct pfnspec_walker_info info = {
		.abi_version = PFNSPEC_ABI_VERSION,
		.size = sizeof(struct pfnspec_walker_info),
		.name = "fault:" PFNSPEC_FAULT_NAME,
		.summary = PFNSPEC_FAULT_DESCRIPTION,
		.api_level = "6.15",
		.profile = "strict",
		.role = "mutant",
	};
	return &info;
}

__attribute__((visibility("default"))) int pfnspec_walker_start(const struct pfnspec_host *host,
								 struct pfnspec_args *args)
{
	pfnspec_kernel_enter(host, args, true);
	int result = faulty_start((struct follow_pfnmap_args *)(void *)args);
	pfnspec_kernel_leave(args);
	return result;
}

__attribute__((visibility("default"))) void pfnspec_walker_end(const struct pfnspec_host *host,
							       struct pfnspec_args *args)
{
	pfnspec_kernel_enter(host, args, false);
	example_follow_pfnmap_end((struct follow_pfnmap_args *)(void *)args);
	pfnspec_kernel_leave(args);
}
