/*
 * isochron-scx: loads Isochron's sched_ext scheduler (isochron_scx.bpf.c), attaches it, and
 * measures it (docs/schedext.md):
 *
 *   isochron-scx selftest [--seconds N] [--runs O|shortest-queue|stall,...] [--threads T] [--categories C]
 *                         [--slice-us S]
 *
 * selftest attaches the scheduler once, starts T busy stand-in threads in SCHED_EXT, thread i in
 * category (i mod C) + 1, and for each run (default: overlap 0) switches the mode by writing the
 * control block and runs them N seconds, then prints per category the run time, the co-running
 * time and events the scheduler measured where tasks start and stop (independently of its
 * admission), and whether that is within the definition of the overlap: none at O = 0, at most
 * O % of each admitted slice otherwise. The run "stall" (last) is the ejection drill: category 1 is
 * no longer dispatched until the kernel's watchdog ejects the scheduler; it passes when the
 * ejection comes with a reason and the stand-ins go on in the fair class. Exit status: 0 every run
 * within, 1 not, 2 could not load or was ejected outside the drill.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <linux/types.h>

#include "isochron_scx.h"
#include "loader.h"


#define CATEGORIES ISO_CATEGORIES
#define MAX_THREADS 64

const char *prog = "isochron-scx";

static void usage(void)
{
	fprintf(stderr,
		"usage: %s selftest [--seconds N] [--runs O|shortest-queue|stall,...] [--threads T] [--categories C]\n"
		"                    [--slice-us S]\n"
		"       %s serve --socket PATH [--group NAME] [--slice-us S]\n",
		prog, prog);
}

long parse_long(const char *opt, const char *v, long lo, long hi)
{
	char *end;
	long n = strtol(v, &end, 10);

	if (*v == '\0' || *end != '\0' || n < lo || n > hi) {
		fprintf(stderr, "%s: %s = '%s' is not a whole number from %ld to %ld\n", prog, opt, v, lo, hi);
		exit(2);
	}
	return n;
}

int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* libbpf's warnings (the verifier's log among them) are what explains a failed load. */
	if (level == LIBBPF_DEBUG)
		return 0;
	fprintf(stderr, "%s: libbpf: ", prog);
	return vfprintf(stderr, fmt, ap);
}

/* The scheduler's object, linked into this program as data (ld -b binary in build.sh). */
extern const char _binary_isochron_scx_bpf_start[], _binary_isochron_scx_bpf_end[];

struct scx scx;
static atomic_int stop;

struct bpf_map *find_map(const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(scx.obj, name);

	if (!m) {
		fprintf(stderr, "%s: the scheduler's object has no map %s\n", prog, name);
		exit(2);
	}
	return m;
}

/* A global data section's initial value, set before loading. */
static volatile void *section(const char *name, size_t size)
{
	size_t actual = 0;
	volatile void *p = bpf_map__initial_value(find_map(name), &actual);

	if (!p || actual != size) {
		fprintf(stderr, "%s: section %s of the scheduler is %zu bytes, not %zu\n", prog, name, actual, size);
		exit(2);
	}
	return p;
}

int scx_open(const struct iso_ctl *ctl)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "isochron");

	scx.obj = bpf_object__open_mem(_binary_isochron_scx_bpf_start,
				       (size_t)(_binary_isochron_scx_bpf_end - _binary_isochron_scx_bpf_start),
				       &opts);
	if (!scx.obj)
		return -errno;
	*(volatile struct iso_ctl *)section(".data.ctl", sizeof *ctl) = *ctl;
	return 0;
}

/* A loaded global data section, mapped from the kernel (libbpf 1.4 maps it only for skeletons). */
static volatile void *mapped(const char *name, size_t size)
{
	struct bpf_map *m = find_map(name);
	long page = sysconf(_SC_PAGESIZE);
	size_t len = (size + (size_t)page - 1) / (size_t)page * (size_t)page;
	void *p;

	if (bpf_map__value_size(m) != size) {
		fprintf(stderr, "%s: section %s of the scheduler is %u bytes, not %zu\n", prog, name, bpf_map__value_size(m), size);
		exit(2);
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(m), 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "%s: cannot map section %s of the scheduler: %s\n", prog, name, strerror(errno));
		exit(2);
	}
	return p;
}

/* Loads it (verifier, JIT) and maps the shared sections. */
int scx_load(void)
{
	int err = bpf_object__load(scx.obj);

	if (err)
		return err;
	scx.threads = find_map("threads");
	scx.ctl = mapped(".data.ctl", sizeof *scx.ctl);
	scx.stats = mapped(".data.stats", sizeof *scx.stats);
	scx.exit = mapped(".data.exit", sizeof *scx.exit);
	return 0;
}

void scx_close(void)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t sizes[] = {sizeof *scx.ctl, sizeof *scx.stats, sizeof *scx.exit};
	volatile void *maps[] = {scx.ctl, scx.stats, scx.exit};

	for (int i = 0; i < 3; i++)
		if (maps[i])
			munmap((void *)maps[i], (sizes[i] + (size_t)page - 1) / (size_t)page * (size_t)page);
	bpf_object__close(scx.obj);
	memset(&scx, 0, sizeof scx);
}

struct stand_in {
	pthread_t thread;
	int category;
	atomic_int ready; /* 1: in SCHED_EXT, 2: failed */
	_Atomic unsigned long long loops; /* work done, published every 1024 loops */
};

static void *stand_in_main(void *arg)
{
	struct stand_in *s = arg;
	__u32 tid = (__u32)syscall(SYS_gettid);
	struct iso_thread t = {.category = (__u32)s->category};
	struct sched_param none = {0};

	if (bpf_map__update_elem(scx.threads, &tid, sizeof tid, &t, sizeof t, BPF_ANY) != 0
	    || sched_setscheduler(0, SCHED_EXT, &none) != 0) {
		fprintf(stderr, "%s: stand-in %u: cannot join the scheduler: %s\n", prog, tid, strerror(errno));
		atomic_store(&s->ready, 2);
		return NULL;
	}
	if (sched_getscheduler(0) != SCHED_EXT) {
		fprintf(stderr, "%s: stand-in %u: policy %d after switching to SCHED_EXT\n", prog, tid, sched_getscheduler(0));
		atomic_store(&s->ready, 2);
		return NULL;
	}
	atomic_store(&s->ready, 1);
	for (unsigned long long n = 1; !atomic_load_explicit(&stop, memory_order_relaxed); n++)
		if ((n & 1023) == 0)
			atomic_store_explicit(&s->loops, n, memory_order_relaxed);
	return NULL;
}

/* The first line of a file, for reports ("?" if unreadable). */
const char *read_line(const char *path)
{
	static char buf[4][128];
	static int next;
	char *b = buf[next++ % 4];
	FILE *f = fopen(path, "re");

	if (!f || !fgets(b, sizeof buf[0], f))
		strcpy(b, "?");
	if (f)
		fclose(f);
	b[strcspn(b, "\n")] = '\0';
	return b;
}

static double seconds(__u64 ns)
{
	return ns / 1e9;
}

/* One run of the self-test: a mode and its overlap, or the ejection drill. */
struct run {
	int mode;
	long overlap;
	int stall; /* the drill: category 1 is never dispatched until the kernel ejects the scheduler */
};

/* --runs LIST: overlaps (0-100), "shortest-queue" and, last, "stall", comma-separated. */
static int parse_runs(const char *v, struct run *runs, int max)
{
	char *copy = strdup(v), *save = NULL;
	int n = 0;

	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (n == max) {
			fprintf(stderr, "%s: --runs: at most %d runs\n", prog, max);
			exit(2);
		}
		if (n > 0 && runs[n - 1].stall) {
			fprintf(stderr, "%s: --runs: stall must be the last run (the scheduler is gone after it)\n", prog);
			exit(2);
		}
		if (strcmp(t, "shortest-queue") == 0)
			runs[n++] = (struct run){MODE_SHORTEST_QUEUE, 0, 0};
		else if (strcmp(t, "stall") == 0)
			runs[n++] = (struct run){MODE_INTERFERENCE_AWARE, 0, 1};
		else
			runs[n++] = (struct run){MODE_INTERFERENCE_AWARE, parse_long("--runs", t, 0, 100), 0};
	}
	free(copy);
	if (n == 0) {
		fprintf(stderr, "%s: --runs is empty (allowed: overlaps 0-100, shortest-queue and, last, stall; comma-separated)\n",
			prog);
		exit(2);
	}
	return n;
}

/* Prints what the scheduler counted over one run; true if within the definition of its overlap. */
static int report(const struct run *r, const struct iso_stats *before, const struct iso_stats *after, long categories,
		  long slice_us)
{
	int within = 1;

	for (long k = 1; k <= categories; k++) {
		__u64 run = after->run_ns[k] - before->run_ns[k];
		__u64 corun = after->corun_ns[k] - before->corun_ns[k];
		__u64 events = after->corun_events[k] - before->corun_events[k];
		__u64 dispatches = after->dispatches[k] - before->dispatches[k];
		__u64 refused = after->refused[k] - before->refused[k];
		__u64 unadmitted = after->unadmitted[k] - before->unadmitted[k];
		/* O = 0: none; O > 0: each admitted slice overlaps at most O % of it. */
		double limit = r->mode == MODE_SHORTEST_QUEUE ? -1
			: r->overlap == 0 ? 0 : (double)dispatches * slice_us * 1000.0 * r->overlap / 100.0;
		int ok = limit < 0 || corun <= limit;

		within &= ok;
		printf("%s: category %ld: run %.3f s, co-running %.3f s (%llu events), dispatches %llu, refused %llu, "
		       "unadmitted %llu%s\n",
		       prog, k, seconds(run), seconds(corun), (unsigned long long)events, (unsigned long long)dispatches,
		       (unsigned long long)refused, (unsigned long long)unadmitted, ok ? "" : "  <- beyond the overlap allowance");
	}
	printf("%s: idle CPUs woken with a task %llu\n", prog, (unsigned long long)(after->wakeups - before->wakeups));
	if (r->mode == MODE_SHORTEST_QUEUE)
		printf("%s: shortest-queue separates nothing (the baseline)\n", prog);
	else
		printf("%s: %s the definition (overlap %ld %%)\n", prog, within ? "within" : "NOT within", r->overlap);
	return within;
}

/* Sum of the stand-ins' published work. */
static unsigned long long work(const struct stand_in *s, int n)
{
	unsigned long long sum = 0;

	for (int i = 0; i < n; i++)
		sum += atomic_load_explicit(&s[i].loops, memory_order_relaxed);
	return sum;
}

/*
 * The ejection drill: category 1 is never dispatched again, its threads wait, the kernel's
 * watchdog ejects the scheduler (its timeout, 10 s), and the threads go on in the fair class.
 * True if the scheduler was ejected with a reason and every stand-in kept working.
 */
static int drill(const struct stand_in *s, int n)
{
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	scx.ctl->overlap_pct = 0;
	scx.ctl->mode = MODE_INTERFERENCE_AWARE;
	scx.ctl->drill_stall = 1;
	for (int i = 0; i < 600 && scx.exit->kind == 0; i++)
		usleep(100000);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (scx.exit->kind == 0) {
		printf("%s: stall drill: the kernel did not eject the scheduler within 60 s\n", prog);
		return 0;
	}
	unsigned long long before[MAX_THREADS];
	for (int i = 0; i < n; i++)
		before[i] = atomic_load_explicit(&s[i].loops, memory_order_relaxed);
	sleep(2);
	int kept = 1;
	for (int i = 0; i < n; i++)
		kept &= atomic_load_explicit(&s[i].loops, memory_order_relaxed) > before[i];
	printf("%s: stall drill: category 1 starved; the kernel ejected the scheduler after %.1f s (kind %lld): %s%s%s; "
	       "the stand-ins %s\n",
	       prog, (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9, (long long)scx.exit->kind,
	       scx.exit->reason, scx.exit->msg[0] ? ": " : "", scx.exit->msg,
	       kept ? "kept running in the fair class" : "did NOT all keep running");
	return kept;
}

static int selftest(int argc, char **argv)
{
	long secs = 10, threads = 4, categories = 2, slice_us = 5000;
	struct run runs[8] = {{MODE_INTERFERENCE_AWARE, 0, 0}};
	int nruns = 1;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (i + 1 >= argc) {
			fprintf(stderr, "%s: option %s needs a value\n", prog, a);
			usage();
			return 2;
		}
		const char *v = argv[++i];
		if (strcmp(a, "--seconds") == 0)
			secs = parse_long(a, v, 1, 3600);
		else if (strcmp(a, "--runs") == 0)
			nruns = parse_runs(v, runs, 8);
		else if (strcmp(a, "--threads") == 0)
			threads = parse_long(a, v, 1, MAX_THREADS);
		else if (strcmp(a, "--categories") == 0)
			categories = parse_long(a, v, 1, CATEGORIES - 1);
		else if (strcmp(a, "--slice-us") == 0)
			slice_us = parse_long(a, v, 100, 1000000);
		else {
			fprintf(stderr, "%s: unknown option '%s'\n", prog, a);
			usage();
			return 2;
		}
	}

	libbpf_set_print(print_libbpf);
	struct iso_ctl ctl = {.mode = (__u32)runs[0].mode, .overlap_pct = (__u32)runs[0].overlap,
			      .slice_ns = (__u64)slice_us * 1000, .nr_cpus = (__u32)libbpf_num_possible_cpus()};
	int err = scx_open(&ctl);
	if (err) {
		fprintf(stderr, "%s: cannot open the scheduler's object: %s\n", prog, strerror(-err));
		return 2;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = scx_load();
	if (err) {
		fprintf(stderr, "%s: the kernel refused the scheduler: %s\n", prog, strerror(-err));
		return 2;
	}
	struct bpf_link *link = bpf_map__attach_struct_ops(find_map("isochron_ops"));
	if (!link) {
		fprintf(stderr, "%s: cannot attach the scheduler: %s%s\n", prog, strerror(errno),
			errno == EBUSY ? " (another sched_ext scheduler is attached)" : "");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%s: attached isochron in %.2f s (sched_ext %s, ops %s); %ld stand-ins in %ld categories, slice %ld us\n",
	       prog, (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9, read_line("/sys/kernel/sched_ext/state"),
	       read_line("/sys/kernel/sched_ext/root/ops"), threads, categories, slice_us);
	fflush(stdout);

	static struct stand_in s[MAX_THREADS];
	int started = 0, failed = 0;
	for (long i = 0; i < threads; i++) {
		s[i].category = (int)(i % categories) + 1;
		if (pthread_create(&s[i].thread, NULL, stand_in_main, &s[i]) != 0) {
			fprintf(stderr, "%s: cannot start stand-in %ld\n", prog, i);
			break;
		}
		started++;
	}
	for (int i = 0; i < started; i++) {
		while (atomic_load(&s[i].ready) == 0)
			usleep(1000);
		failed += atomic_load(&s[i].ready) == 2;
	}

	int within = 1, ejected = 0, drilled = 0;
	for (int r = 0; r < nruns && !failed && !ejected; r++) {
		if (runs[r].stall) {
			drilled = 1;
			within &= drill(s, started);
			break;
		}
		/* A switch is a write to the control block: no reload. Counted after a settle: each
		 * stand-in that started under the previous mode (or joined while running) has been
		 * through the queues since (its slice ends at the next tick). */
		scx.ctl->overlap_pct = (__u32)runs[r].overlap;
		scx.ctl->mode = (__u32)runs[r].mode;
		usleep(250000);
		unsigned long long loops0 = work(s, started);
		struct iso_stats before = *(struct iso_stats *)scx.stats;
		sleep((unsigned)secs);
		struct iso_stats after = *(struct iso_stats *)scx.stats;
		unsigned long long loops1 = work(s, started);
		ejected = scx.exit->kind != 0;
		printf("%s: %s, overlap %ld %%, %ld s: work %llu loops\n", prog,
		       runs[r].mode == MODE_SHORTEST_QUEUE ? "shortest-queue" : "interference-aware", runs[r].overlap, secs,
		       loops1 - loops0);
		within &= report(&runs[r], &before, &after, categories, slice_us);
		fflush(stdout);
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < started; i++)
		pthread_join(s[i].thread, NULL);

	struct iso_exit ex = *(struct iso_exit *)scx.exit;
	bpf_link__destroy(link);
	scx_close();
	if (ex.kind != 0 && !drilled) {
		printf("%s: the kernel ejected the scheduler (kind %lld): %s%s%s\n", prog, (long long)ex.kind, ex.reason,
		       ex.msg[0] ? ": " : "", ex.msg);
		return 2;
	}
	if (failed)
		return 2;
	printf("%s: %s\n", prog, within ? "every run within its definition" : "NOT every run within its definition");
	return within ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "selftest") == 0)
		return selftest(argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], "serve") == 0)
		return serve(argc - 2, argv + 2);
	usage();
	return 2;
}
