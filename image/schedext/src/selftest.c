/*
 * isochron-scx selftest: the scheduler measured on this kernel, side by side with the kernel's own
 * scheduler and with affinity (docs/schedext.md).
 *
 * The scheduler is attached once; T stand-in threads run, thread i in category (i mod C) + 1,
 * either busy or periodic (--period-us, --busy-us: a control loop's shape, which gives a wake-up
 * latency). Each run places them and measures for N seconds:
 *   O (0-100)       interference-aware at overlap O, in SCHED_EXT (a switch is a write to the
 *                   control block, no reload)
 *   shortest-queue  SCHED_EXT without separation
 *   default         the kernel's fair class, every CPU allowed
 *   affinity        the fair class, each category pinned to one CPU (what the appliance's affinity
 *                   enforcement does at overlap 0)
 *   edf[/S], edf-refinement[/S]
 *                   the EDF modes on generated task set S (default 1): each stand-in a periodic task
 *                   with its own period (50-100 ms), deadline = period and run time per job (CPU
 *                   time), 4-20 % of a CPU each, its home and category chosen so that every CPU has
 *                   every category; the refinement is not within if a job it put behind another
 *                   missed its deadline (run edf/S before edf-refinement/S for plain EDF's misses on
 *                   the same set beside it)
 *   stall           last: the ejection drill (category 1 never dispatched until the kernel's watchdog
 *                   ejects the scheduler; the stand-ins must go on in the fair class)
 * For every run it prints the work done, the wake-up-to-run latency of periodic stand-ins, the
 * co-running seen at every context switch whatever the class (the observer program: the measure
 * that compares the runs), and for SCHED_EXT runs the scheduler's own counters, whether they are
 * within the definition of the overlap (none at O = 0, at most O % of each admitted slice), and
 * the BPF programs' run time per call; a run in which a stand-in never ran, or a switch after
 * which one did not run again within a second (a thread lost by a switch), is not within. Exit
 * status: 0 every run within, 1 not, 2 could not load or was ejected outside the drill.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader.h"

#define MAX_THREADS 64
#define MAX_RUNS 14
#define MAX_SAMPLES 16384
#define REJOIN_BOUND_MS 1000 /* a switch must not leave a runnable stand-in waiting longer (TCG-generous) */

enum run_kind { RUN_EXT, RUN_DEFAULT, RUN_AFFINITY, RUN_STALL };

struct run {
	enum run_kind kind;
	int mode;     /* RUN_EXT */
	long overlap; /* RUN_EXT, interference-aware */
	int set;      /* RUN_EXT, EDF modes: the generated task set */
};

struct stand_in {
	pthread_t thread;
	pid_t tid;
	int category;
	atomic_int ready; /* 1: in SCHED_EXT, 2: failed */
	_Atomic unsigned long long loops; /* work done, published every 1024 loops */
	atomic_int samples;               /* wake-up latencies recorded in this run */
	_Atomic unsigned long long overruns;
	_Atomic long period_us, busy_us;  /* this run's; busy_us in CPU time when cpu_time */
	atomic_int cpu_time;
	int edf_home, edf_category;       /* in the EDF runs */
	unsigned latency_us[MAX_SAMPLES];
};

static atomic_int stop, recording;
static long period_us, busy_us; /* of the runs other than EDF */

static long long cpu_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* A periodic stand-in: each period it wakes at its start, works busy_us, and sleeps to the next
 * (period and work are the run's: the EDF runs give each stand-in its own, as CPU time). */
static void periodic(struct stand_in *s)
{
	unsigned long long n = 0;
	long long next = now_ns();

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		struct timespec at;
		long long woke, until;
		long period = atomic_load_explicit(&s->period_us, memory_order_relaxed);
		long busy = atomic_load_explicit(&s->busy_us, memory_order_relaxed);
		int cpu_time = atomic_load_explicit(&s->cpu_time, memory_order_relaxed);

		next += period * 1000LL;
		at.tv_sec = next / 1000000000LL;
		at.tv_nsec = next % 1000000000LL;
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL);
		woke = now_ns();
		if (atomic_load_explicit(&recording, memory_order_relaxed)) {
			int i = atomic_load_explicit(&s->samples, memory_order_relaxed);
			if (i < MAX_SAMPLES) {
				s->latency_us[i] = (unsigned)((woke - next) / 1000);
				atomic_store_explicit(&s->samples, i + 1, memory_order_release);
			}
		}
		until = (cpu_time ? cpu_ns() : woke) + busy * 1000LL;
		while ((cpu_time ? cpu_ns() : now_ns()) < until)
			for (int k = 0; k < 1024; k++, n++)
				atomic_store_explicit(&s->loops, n, memory_order_relaxed);
		/* Finished after the deadline (= the period): a missed period; start afresh. */
		if (now_ns() - next > period * 1000LL) {
			atomic_fetch_add(&s->overruns, 1);
			next = now_ns();
		}
	}
}

static void *stand_in_main(void *arg)
{
	struct stand_in *s = arg;
	__u32 tid = (__u32)syscall(SYS_gettid);
	struct iso_thread t = {.category = (__u32)s->category};
	struct sched_param none = {0};

	s->tid = (pid_t)tid;
	atomic_store(&s->period_us, period_us);
	atomic_store(&s->busy_us, busy_us);
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
	if (period_us > 0) {
		periodic(s);
		return NULL;
	}
	for (unsigned long long n = 1; !atomic_load_explicit(&stop, memory_order_relaxed); n++)
		if ((n & 1023) == 0)
			atomic_store_explicit(&s->loops, n, memory_order_relaxed);
	return NULL;
}

static double seconds(__u64 ns)
{
	return ns / 1e9;
}

static int is_edf(const struct run *r)
{
	return r->kind == RUN_EXT && (r->mode == MODE_EDF || r->mode == MODE_EDF_REFINEMENT);
}

static const char *run_name(const struct run *r, char *buf, size_t len)
{
	switch (r->kind) {
	case RUN_DEFAULT:
		return "default (fair class)";
	case RUN_AFFINITY:
		return "affinity (a CPU per category)";
	case RUN_STALL:
		return "stall";
	default:
		if (r->mode == MODE_SHORTEST_QUEUE)
			return "shortest-queue";
		if (is_edf(r))
			snprintf(buf, len, "%s, task set %d", mode_name((__u32)r->mode), r->set);
		else
			snprintf(buf, len, "interference-aware, overlap %ld %%", r->overlap);
		return buf;
	}
}

/* --runs LIST: overlaps (0-100), shortest-queue, default, affinity and, last, stall; comma-separated. */
static int parse_runs(const char *v, struct run *runs, int max)
{
	char *copy = strdup(v), *save = NULL;
	int n = 0;

	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (n == max) {
			fprintf(stderr, "%s: --runs: at most %d runs\n", prog, max);
			exit(2);
		}
		if (n > 0 && runs[n - 1].kind == RUN_STALL) {
			fprintf(stderr, "%s: --runs: stall must be the last run (the scheduler is gone after it)\n", prog);
			exit(2);
		}
		if (strcmp(t, "shortest-queue") == 0)
			runs[n++] = (struct run){RUN_EXT, MODE_SHORTEST_QUEUE, 0, 0};
		else if (strcmp(t, "default") == 0)
			runs[n++] = (struct run){RUN_DEFAULT, 0, 0, 0};
		else if (strcmp(t, "affinity") == 0)
			runs[n++] = (struct run){RUN_AFFINITY, 0, 0, 0};
		else if (strcmp(t, "stall") == 0)
			runs[n++] = (struct run){RUN_STALL, MODE_INTERFERENCE_AWARE, 0, 0};
		else if (strncmp(t, "edf", 3) == 0) {
			int refined = strncmp(t, "edf-refinement", 14) == 0;
			const char *rest = t + (refined ? 14 : 3);

			if (*rest != '\0' && *rest != '/') {
				fprintf(stderr, "%s: --runs: '%s' is not edf[/SET] or edf-refinement[/SET]\n", prog, t);
				exit(2);
			}
			runs[n++] = (struct run){RUN_EXT, refined ? MODE_EDF_REFINEMENT : MODE_EDF, 0,
						 *rest ? (int)parse_long("--runs (task set)", rest + 1, 1, 1000000) : 1};
		} else
			runs[n++] = (struct run){RUN_EXT, MODE_INTERFERENCE_AWARE, parse_long("--runs", t, 0, 100), 0};
	}
	free(copy);
	if (n == 0) {
		fprintf(stderr, "%s: --runs is empty (allowed: overlaps 0-100, shortest-queue, edf[/SET], edf-refinement[/SET], "
			"default, affinity and, last, stall; comma-separated)\n", prog);
		exit(2);
	}
	return n;
}

/* A small generator of task sets (xorshift; the same set for the same number on every machine). */
static unsigned next_random(unsigned *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* Task set `set`: each stand-in's period (50, 60, 75 or 100 ms; deadline = period) and run time per
 * job (4-20 % of its period); its home, by worst fit in stand-in order as the appliance's policy
 * places vCPUs; and its category, alternating among the threads of each CPU, so that every CPU has
 * every category and the refinement has conflicts to resolve. */
static void task_set(int set, struct stand_in *s, int n, long categories)
{
	static const long periods_ms[] = {50, 60, 75, 100};
	unsigned x = 2463534242u ^ (unsigned)set * 2654435761u;
	int cpus = libbpf_num_possible_cpus(), count[64] = {0};
	double util[64] = {0};

	for (int i = 0; i < n; i++) {
		long period = periods_ms[next_random(&x) % 4] * 1000;
		long percent = 4 + (long)(next_random(&x) % 17);
		int home = 0;

		for (int c = 1; c < cpus && c < 64; c++)
			if (util[c] < util[home] || (util[c] == util[home] && count[c] < count[home]))
				home = c;
		atomic_store(&s[i].period_us, period);
		atomic_store(&s[i].busy_us, period * percent / 100);
		s[i].edf_home = home;
		s[i].edf_category = (int)(count[home] % categories) + 1;
		util[home] += percent / 100.0;
		count[home]++;
	}
}

/* Puts the stand-ins where a run wants them: SCHED_EXT on every CPU, or the fair class on every
 * CPU or on one CPU per category; with their timing for the EDF runs. */
static int place(const struct run *r, struct stand_in *s, int n, long categories)
{
	int cpus = libbpf_num_possible_cpus();
	struct sched_param none = {0};
	int edf = is_edf(r);

	if (edf)
		task_set(r->set, s, n, categories);
	for (int i = 0; i < n; i++) {
		__u32 tid = (__u32)s[i].tid;
		struct iso_thread t = {.category = (__u32)s[i].category};

		if (edf) {
			t.category = (__u32)s[i].edf_category;
			t.home_plus1 = (__u32)s[i].edf_home + 1;
			t.period_ns = t.deadline_ns = (__u64)atomic_load(&s[i].period_us) * 1000;
			t.budget_ns = (__u64)atomic_load(&s[i].busy_us) * 1000;
		} else {
			atomic_store(&s[i].period_us, period_us);
			atomic_store(&s[i].busy_us, busy_us);
		}
		atomic_store(&s[i].cpu_time, edf);
		if (bpf_map__update_elem(scx.threads, &tid, sizeof tid, &t, sizeof t, BPF_ANY) != 0) {
			fprintf(stderr, "%s: cannot write stand-in %d's timing: %s\n", prog, s[i].tid, strerror(errno));
			return 0;
		}
	}
	for (int i = 0; i < n; i++) {
		cpu_set_t set;
		CPU_ZERO(&set);
		for (int c = 0; c < cpus && c < CPU_SETSIZE; c++)
			if (r->kind != RUN_AFFINITY || c == (s[i].category - 1) % cpus)
				CPU_SET(c, &set);
		if (sched_setscheduler(s[i].tid, r->kind == RUN_EXT ? SCHED_EXT : SCHED_OTHER, &none) != 0
		    || sched_setaffinity(s[i].tid, sizeof set, &set) != 0) {
			fprintf(stderr, "%s: cannot place stand-in %d: %s\n", prog, s[i].tid, strerror(errno));
			return 0;
		}
	}
	return 1;
}

/* Run time and calls of the scheduler's BPF programs, summed (BPF_STATS_RUN_TIME enabled). */
static void prog_stats(__u64 *run_ns, __u64 *calls, int nprogs, const char **names)
{
	for (int i = 0; i < nprogs; i++) {
		struct bpf_prog_info info = {0};
		__u32 len = sizeof info;
		struct bpf_program *p = bpf_object__find_program_by_name(scx.obj, names[i]);

		run_ns[i] = calls[i] = 0;
		if (p && bpf_prog_get_info_by_fd(bpf_program__fd(p), &info, &len) == 0) {
			run_ns[i] = info.run_time_ns;
			calls[i] = info.run_cnt;
		}
	}
}

static int compare_unsigned(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
	return (x > y) - (x < y);
}

/* The wake-up-to-run latency of every periodic stand-in in the run, as p50/p99/max. */
static void latency(const struct stand_in *s, int n, char *out, size_t len)
{
	static unsigned all[MAX_THREADS * MAX_SAMPLES];
	size_t count = 0;
	unsigned long long overruns = 0;

	for (int i = 0; i < n; i++) {
		int k = atomic_load_explicit(&s[i].samples, memory_order_acquire);
		memcpy(all + count, s[i].latency_us, (size_t)k * sizeof all[0]);
		count += (size_t)k;
		overruns += atomic_load(&s[i].overruns);
	}
	if (count == 0) {
		snprintf(out, len, "no wake-ups (busy stand-ins)");
		return;
	}
	qsort(all, count, sizeof all[0], compare_unsigned);
	snprintf(out, len, "wake-up to run p50 %u us, p99 %u us, max %u us (%zu wake-ups, %llu periods missed)",
		 all[count / 2], all[(count * 99) / 100], all[count - 1], count, overruns);
}

/* Prints the scheduler's own counts over an ext run; true if within the definition of its overlap. */
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
		__u64 lost = after->lost[k] - before->lost[k];
		/* O = 0: none; O > 0: each admitted slice overlaps at most O % of it. */
		double limit = r->mode != MODE_INTERFERENCE_AWARE ? -1
			: r->overlap == 0 ? 0 : (double)dispatches * slice_us * 1000.0 * r->overlap / 100.0;
		int ok = limit < 0 || corun <= limit;

		within &= ok;
		printf("%s: category %ld: run %.3f s, co-running %.3f s (%llu events), dispatches %llu, refused %llu, "
		       "unadmitted %llu, lost %llu%s\n",
		       prog, k, seconds(run), seconds(corun), (unsigned long long)events, (unsigned long long)dispatches,
		       (unsigned long long)refused, (unsigned long long)unadmitted, (unsigned long long)lost, ok ? "" : "  <- beyond the overlap allowance");
	}
	printf("%s: idle CPUs woken with a task %llu\n", prog, (unsigned long long)(after->wakeups - before->wakeups));
	if (r->mode == MODE_SHORTEST_QUEUE)
		printf("%s: shortest-queue separates nothing (the baseline)\n", prog);
	else if (is_edf(r))
		printf("%s: %s: released jobs went ahead of a later deadline %llu times; the refinement ran another job than EDF's "
		       "choice %llu times, kept EDF's choice for want of a safe one %llu times (%llu of them with a candidate the "
		       "demand check refused); threads without a home %llu\n",
		       prog, mode_name((__u32)r->mode), (unsigned long long)(after->preemptions - before->preemptions),
		       (unsigned long long)(after->refined - before->refined),
		       (unsigned long long)(after->refine_refused - before->refine_refused),
		       (unsigned long long)(after->refine_unsafe - before->refine_unsafe),
		       (unsigned long long)(after->unhomed - before->unhomed));
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

/* Each stand-in's work so far, to tell later which ones have worked since. */
static void snapshot(const struct stand_in *s, int n, unsigned long long *loops)
{
	for (int i = 0; i < n; i++)
		loops[i] = atomic_load_explicit(&s[i].loops, memory_order_relaxed);
}

/* How many stand-ins have not worked since the snapshot. */
static int idle_since(const struct stand_in *s, int n, const unsigned long long *loops)
{
	int idle = 0;

	for (int i = 0; i < n; i++)
		idle += atomic_load_explicit(&s[i].loops, memory_order_relaxed) == loops[i];
	return idle;
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
	snapshot(s, n, before);
	sleep(2);
	int kept = idle_since(s, n, before) == 0;
	printf("%s: stall drill: category 1 starved; the kernel ejected the scheduler after %.1f s (kind %lld): %s%s%s; "
	       "the stand-ins %s\n",
	       prog, (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9, (long long)scx.exit->kind,
	       scx.exit->reason, scx.exit->msg[0] ? ": " : "", scx.exit->msg,
	       kept ? "kept running in the fair class" : "did NOT all keep running");
	return kept;
}

/*
 * A switch loses no thread: the milliseconds until every stand-in has worked again once the switch
 * is done (-1 if one has not within bound_ms).
 */
static long rejoined(const struct stand_in *s, int n, long bound_ms)
{
	unsigned long long before[MAX_THREADS];
	int pending = n;
	long long t0 = now_ns(), waited = 0;

	snapshot(s, n, before);
	while (pending > 0 && waited <= bound_ms * 1000000LL) {
		usleep(1000);
		waited = now_ns() - t0;
		pending = idle_since(s, n, before);
	}
	return pending ? -1 : (long)(waited / 1000000);
}

/* Co-running in category k between two readings of the observer with both tasks running (not a CPU
 * switching). */
static __u64 both_running_ns(const struct iso_observed *from, const struct iso_observed *to, long k)
{
	return to->corun_ns[k] - from->corun_ns[k] - (to->switching_ns[k] - from->switching_ns[k]);
}

/* One line of the side-by-side table. */
struct row {
	const char *name;
	char name_buf[48];
	unsigned long long work;
	double corun_s;
	unsigned long long events;
	unsigned long long stopped; /* events against a task sched_ext had already stopped */
	double both_s;              /* co-running with both tasks running (not a CPU switching) */
	char latency[160];
	char cost[160];
};

int selftest(int argc, char **argv)
{
	long secs = 10, threads = 4, categories = 2, slice_us = 5000;
	struct run runs[MAX_RUNS] = {{RUN_EXT, MODE_INTERFERENCE_AWARE, 0, 0}};
	int nruns = 1;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (i + 1 >= argc) {
			fprintf(stderr, "%s: option %s needs a value\n", prog, a);
			return 2;
		}
		const char *v = argv[++i];
		if (strcmp(a, "--seconds") == 0)
			secs = parse_long(a, v, 1, 3600);
		else if (strcmp(a, "--runs") == 0)
			nruns = parse_runs(v, runs, MAX_RUNS);
		else if (strcmp(a, "--threads") == 0)
			threads = parse_long(a, v, 1, MAX_THREADS);
		else if (strcmp(a, "--categories") == 0)
			categories = parse_long(a, v, 1, ISO_CATEGORIES - 1);
		else if (strcmp(a, "--slice-us") == 0)
			slice_us = parse_long(a, v, 100, 1000000);
		else if (strcmp(a, "--period-us") == 0)
			period_us = parse_long(a, v, 100, 1000000);
		else if (strcmp(a, "--busy-us") == 0)
			busy_us = parse_long(a, v, 1, 1000000);
		else {
			fprintf(stderr, "%s: unknown option '%s' (allowed: --seconds, --runs, --threads, --categories, "
				"--slice-us, --period-us, --busy-us)\n", prog, a);
			return 2;
		}
	}
	if ((period_us || busy_us) && !(period_us && busy_us && busy_us < period_us)) {
		fprintf(stderr, "%s: --period-us and --busy-us go together, the busy time shorter than the period\n", prog);
		return 2;
	}
	for (int r = 0; r < nruns; r++)
		if (is_edf(&runs[r]) && period_us == 0) {
			fprintf(stderr, "%s: the EDF runs need periodic stand-ins (--period-us and --busy-us)\n", prog);
			return 2;
		}

	libbpf_set_print(print_libbpf);
	struct iso_ctl ctl = {.mode = MODE_INTERFERENCE_AWARE, .overlap_pct = 0,
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
	struct bpf_program *observer = bpf_object__find_program_by_name(scx.obj, "iso_observe");
	struct bpf_link *observing = observer ? bpf_program__attach(observer) : NULL;
	volatile struct iso_observed *observed = observing ? scx.observed : NULL;
	if (!observing)
		fprintf(stderr, "%s: the context-switch observer did not attach (%s): no side-by-side co-running\n", prog,
			strerror(errno));
	int stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	printf("%s: attached isochron in %.2f s (sched_ext %s, ops %s); %ld stand-ins in %ld categories, slice %ld us, %s\n",
	       prog, (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9, read_line("/sys/kernel/sched_ext/state"),
	       read_line("/sys/kernel/sched_ext/root/ops"), threads, categories, slice_us,
	       period_us ? "periodic" : "busy");
	if (period_us)
		printf("%s: each stand-in wakes every %ld us and works %ld us\n", prog, period_us, busy_us);
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

	static const char *progs[] = {"iso_enqueue", "iso_dispatch", "iso_running", "iso_stopping", "iso_select_cpu"};
	enum { NPROGS = sizeof progs / sizeof progs[0] };
	static struct row rows[MAX_RUNS];
	int edf_set[MAX_RUNS], nedf = 0;
	unsigned long long edf_missed[MAX_RUNS];
	char name[48];
	int nrows = 0, within = 1, ejected = 0, drilled = 0;
	for (int r = 0; r < nruns && !failed && !ejected; r++) {
		if (runs[r].kind == RUN_STALL) {
			drilled = 1;
			within &= place(&(struct run){RUN_EXT, MODE_INTERFERENCE_AWARE, 0, 0}, s, started, categories) && drill(s, started);
			break;
		}
		/* A switch is a write to the control block: no reload. Counted after a settle: each
		 * stand-in that started under the previous mode (or joined while running) has been
		 * through the queues since (its slice ends at the next tick). */
		if (runs[r].kind == RUN_EXT) {
			scx.ctl->overlap_pct = (__u32)runs[r].overlap;
			scx.ctl->mode = (__u32)runs[r].mode;
		}
		if (!place(&runs[r], s, started, categories)) {
			failed = 1;
			break;
		}
		long back_ms = rejoined(s, started, REJOIN_BOUND_MS);
		if (back_ms < 0)
			printf("%s: switch to %s: SOME stand-ins did not run again within %d ms\n", prog,
			       run_name(&runs[r], name, sizeof name), REJOIN_BOUND_MS);
		else
			printf("%s: switch to %s: every stand-in ran again within %ld ms\n", prog,
			       run_name(&runs[r], name, sizeof name), back_ms);
		within &= back_ms >= 0;
		usleep(250000);
		for (int i = 0; i < started; i++) {
			atomic_store(&s[i].samples, 0);
			atomic_store(&s[i].overruns, 0);
		}
		__u64 run0[NPROGS], calls0[NPROGS], run1[NPROGS], calls1[NPROGS];
		struct iso_observed seen0 = observed ? *(struct iso_observed *)observed : (struct iso_observed){0};
		prog_stats(run0, calls0, NPROGS, progs);
		unsigned long long loops0 = work(s, started), each0[MAX_THREADS];
		snapshot(s, started, each0);
		struct iso_stats before = *(struct iso_stats *)scx.stats;
		atomic_store(&recording, 1);
		sleep((unsigned)secs);
		atomic_store(&recording, 0);
		struct iso_stats after = *(struct iso_stats *)scx.stats;
		unsigned long long loops1 = work(s, started);
		prog_stats(run1, calls1, NPROGS, progs);
		struct iso_observed seen1 = observed ? *(struct iso_observed *)observed : (struct iso_observed){0};
		ejected = scx.exit->kind != 0;

		struct row *row = &rows[nrows++];
		row->name = run_name(&runs[r], row->name_buf, sizeof row->name_buf);
		row->work = loops1 - loops0;
		for (long k = 1; k <= categories; k++) {
			row->corun_s += seconds(seen1.corun_ns[k] - seen0.corun_ns[k]);
			row->events += seen1.corun_events[k] - seen0.corun_events[k];
			row->stopped += seen1.stopped_events[k] - seen0.stopped_events[k];
			row->both_s += seconds(both_running_ns(&seen0, &seen1, k));
		}
		latency(s, started, row->latency, sizeof row->latency);
		size_t n = 0;
		row->cost[0] = '\0';
		for (int i = 0; i < NPROGS && n < sizeof row->cost; i++) {
			__u64 calls = calls1[i] - calls0[i];
			if (calls)
				n += (size_t)snprintf(row->cost + n, sizeof row->cost - n, "%s%s %.0f ns", n ? ", " : "",
						      progs[i] + 4, (double)(run1[i] - run0[i]) / (double)calls);
		}
		int idle = idle_since(s, started, each0);
		within &= idle == 0;
		printf("%s: %s, %ld s: work %llu loops; %s\n", prog, row->name, secs, row->work,
		       idle == 0 ? "every stand-in ran" : "SOME stand-ins never ran");
		printf("%s: %s\n", prog, row->latency);
		if (observed)
			for (long k = 1; k <= categories; k++)
				printf("%s: observed at context switches: category %ld: run %.3f s, co-running %.3f s (%llu events, "
				       "%llu of them against a task sched_ext had stopped, its CPU still switching; %llu ns with "
				       "both tasks running)\n",
				       prog, k, seconds(seen1.run_ns[k] - seen0.run_ns[k]),
				       seconds(seen1.corun_ns[k] - seen0.corun_ns[k]),
				       (unsigned long long)(seen1.corun_events[k] - seen0.corun_events[k]),
				       (unsigned long long)(seen1.stopped_events[k] - seen0.stopped_events[k]),
				       (unsigned long long)both_running_ns(&seen0, &seen1, k));
		if (is_edf(&runs[r])) {
			unsigned long long jobs = 0, missed = 0, own = 0, refined = 0;

			for (long k = 0; k < ISO_CATEGORIES; k++) {
				jobs += after.jobs[k] - before.jobs[k];
				missed += after.misses[k] - before.misses[k];
				refined += after.refined_misses[k] - before.refined_misses[k];
			}
			for (int i = 0; i < started; i++)
				own += atomic_load(&s[i].overruns);
			printf("%s: %s: %llu jobs, %llu finished after their deadline (the stand-ins' own count: %llu)\n", prog,
			       row->name, jobs, missed, own);
			if (runs[r].mode == MODE_EDF) {
				edf_set[nedf] = runs[r].set;
				edf_missed[nedf++] = missed;
			} else {
				/* The promise, decision by decision: no job the refinement put behind another missed. */
				printf("%s: %s: %llu of the missed jobs had been put behind another by the refinement\n", prog,
				       row->name, refined);
				within &= refined == 0;
				long long baseline = -1;

				for (int i = 0; i < nedf; i++)
					if (edf_set[i] == runs[r].set)
						baseline = (long long)edf_missed[i];
				if (baseline < 0)
					printf("%s: no plain EDF run on task set %d before it: nothing to hold the refinement to\n", prog,
					       runs[r].set);
				else if (baseline > 0)
					printf("%s: plain EDF missed %lld deadlines on task set %d: the refinement's promise does not "
					       "apply\n", prog, baseline, runs[r].set);
				else
					printf("%s: task set %d: plain EDF met every deadline; the refinement %s\n", prog, runs[r].set,
					       missed == 0 ? "too" : "did not (a miss of a job it had not put behind another: the "
					       "emulator or a higher class, as EDF's own misses)");
			}
		}
		if (runs[r].kind == RUN_EXT) {
			within &= report(&runs[r], &before, &after, categories, slice_us);
			printf("%s: BPF run time per call (stats %s): %s\n", prog, stats_fd >= 0 ? "on" : "unavailable",
			       row->cost[0] ? row->cost : "none counted");
		}
		fflush(stdout);
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < started; i++)
		pthread_join(s[i].thread, NULL);

	if (nrows > 1 && observed) {
		printf("%s: side by side, %ld s each (co-running as seen at context switches, any class; \"stopped\": "
		       "events against a task sched_ext had already stopped, its CPU still switching; \"both\": the "
		       "co-running time with both tasks running):\n", prog, secs);
		for (int i = 0; i < nrows; i++)
			printf("%s: | %-36s | work %12llu loops | co-running %8.3f s, %6llu events, %4llu stopped, both %8.3f s | "
			       "%s |\n", prog, rows[i].name, rows[i].work, rows[i].corun_s, rows[i].events, rows[i].stopped,
			       rows[i].both_s, rows[i].latency);
	}
	struct iso_exit ex = *(struct iso_exit *)scx.exit;
	if (observing)
		bpf_link__destroy(observing);
	if (stats_fd >= 0)
		close(stats_fd);
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
