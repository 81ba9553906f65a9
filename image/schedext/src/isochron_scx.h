/* What the scheduler (isochron_scx.bpf.c) and user space (isochron_scx.c) share: the layout of
 * its maps and counters. */
#ifndef ISOCHRON_SCX_H
#define ISOCHRON_SCX_H

#define ISO_CATEGORIES 8 /* 0: none (never conflicts), 1..7: the I/O categories user space names */
#define ISO_DRILL_ALL 0xff

enum iso_mode { MODE_SHORTEST_QUEUE = 0, MODE_INTERFERENCE_AWARE = 1, MODE_EDF = 2, MODE_EDF_REFINEMENT = 3 };

/* threads[tid], written by user space: the thread's category and, for the EDF modes, its timing as
 * a sporadic task (all 0: none; it then runs after every thread that has one). */
struct iso_thread {
	__u32 category;
	__u32 home_plus1;  /* EDF modes: the CPU user space homes it on, + 1 (0: the scheduler's worst fit) */
	__u64 deadline_ns; /* relative deadline D (0: the period) */
	__u64 period_ns;   /* minimum time between two releases T */
	__u64 budget_ns;   /* declared run time per job C */
};

#define ISO_EDF_HOMED 16 /* periodic threads homed on one CPU that the demand check knows */

/* The control block (section .data.ctl), written by user space at any time: a hot swap is this
 * write. nr_cpus is set before loading. */
struct iso_ctl {
	__u32 mode;
	__u32 overlap_pct; /* O in [0, 100] */
	__u64 slice_ns;
	__u32 nr_cpus;
	__u32 drill_stall;  /* ejection drill: a category never dispatched (0: none; ISO_DRILL_ALL: every
			     * thread of the scheduler, category 0 included), so that the kernel's
			     * watchdog ejects the scheduler */
};

/* Counters (section .data.stats), read by user space. */
struct iso_stats {
	__u64 run_ns[ISO_CATEGORIES];
	__u64 corun_ns[ISO_CATEGORIES];     /* two CPUs running the same category at once, summed over pairs */
	__u64 corun_events[ISO_CATEGORIES]; /* a task started while another of its category ran elsewhere */
	__u64 dispatches[ISO_CATEGORIES];
	__u64 refused[ISO_CATEGORIES];      /* a task left queued: starting it would have conflicted */
	__u64 unadmitted[ISO_CATEGORIES];   /* a task that started without an admission (joined while running) */
	__u64 lost[ISO_CATEGORIES];         /* an admission its CPU never used (found when it went idle) */
	__u64 violations[ISO_CATEGORIES];   /* a co-running event while strict separation (overlap 0) was in force */
	__u64 wakeups; /* tasks placed straight on an idle CPU, which wakes it */
	/* EDF modes */
	__u64 jobs[ISO_CATEGORIES];   /* jobs ended (judged when the next one is released) */
	__u64 misses[ISO_CATEGORIES]; /* of those, finished after their absolute deadline */
	__u64 refined_misses[ISO_CATEGORIES]; /* of those, jobs the refinement had put behind another */
	__u64 preemptions;    /* a released job went ahead of its home's job in hand (a later deadline) */
	__u64 refined;        /* dispatches where the refinement ran another job than EDF's choice */
	__u64 refine_refused; /* EDF's choice conflicted, but no other job could run instead */
	__u64 refine_unsafe;  /* of those, with a job of a free category that the demand check refused */
	__u64 unhomed;        /* a thread with timing that found no home (every CPU's table full) */
};

/* What ran, seen at every context switch whatever the scheduling class (section .data.observed):
 * the measure that compares the kernel's default scheduler, affinity and this scheduler alike. */
struct iso_observed {
	__u64 run_ns[ISO_CATEGORIES];
	__u64 corun_ns[ISO_CATEGORIES];
	__u64 corun_events[ISO_CATEGORIES];
	__u64 stopped_events[ISO_CATEGORIES]; /* of those, against a SCHED_EXT task the scheduler had already
					       * stopped, its CPU not yet through the switch */
	__u64 switching_ns[ISO_CATEGORIES];   /* of corun_ns, the part after the scheduler had stopped one of
					       * the two SCHED_EXT tasks (its CPU switching, not running it) */
};

/* Why the kernel or the scheduler ended it (section .data.exit). */
struct iso_exit {
	__s64 kind;
	__s64 exit_code;
	char reason[128];
	char msg[256];
};

#endif
