// SPDX-License-Identifier: GPL-2.0
/*
 * Isochron's sched_ext scheduler (docs/schedext.md): threads that user space has given an I/O
 * category run so that two threads of the same category are on different CPUs at the same time
 * only within the overlap allowance (none at O = 0), decided at every dispatch in the kernel.
 *
 * User space writes each owned thread's category into `threads` and the mode and overlap into
 * `ctl` (a hot swap is a write, no reload). The scheduler owns only the threads user space moves
 * to SCHED_EXT (SCX_OPS_SWITCH_PARTIAL); everything else stays with the kernel's classes.
 *
 * Co-running is also measured where it happens, from running/stopping alone, independently of
 * the admission below: that count is the evidence, not the admission's own bookkeeping.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "isochron_scx.h"

char LICENSE[] SEC("license") = "GPL";

#define MAX_CPUS 64
#define CATEGORIES ISO_CATEGORIES
#define SCHED_EXT_POLICY 7
#define DSQ_BASE 0x1500 /* one queue per category; category 0's is also the queue of "no separation" */
#define DSQ_EDF_BASE 0x1600 /* EDF modes: one queue per CPU, of the jobs homed there, by absolute deadline */
#define EDF_QUEUED 16       /* queued jobs one dispatch looks at */
#define EDF_CHECKPOINTS 64  /* demand checkpoints before the refinement gives up (EDF's choice stands) */
#define PPM 1000000ULL
#define NO_DEADLINE (~0ULL)

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, u32); /* thread id */
	__type(value, struct iso_thread);
} threads SEC(".maps");

SEC(".data.ctl") volatile struct iso_ctl ctl = {
	.mode = MODE_INTERFERENCE_AWARE, .overlap_pct = 0, .slice_ns = 5000000, .nr_cpus = 1};

/*
 * An admission: the right of one task of a category to start on one CPU. It is made when the
 * task is placed on the CPU's local queue (by enqueue on an idle CPU, or by that CPU's dispatch)
 * and consumed when the task starts there; from then on the CPU's running task is the claim.
 * A CPU therefore holds category k while it runs a task of k or has one admitted that has not
 * started yet (placed behind a higher class's task, or preempted by one with slice left).
 */
struct iso_cpu {
	u32 category; /* of the task running now; meaningful while busy */
	u32 busy;
	u32 pid;      /* the task running now */
	u16 leaving;  /* it is being taken off the CPU while running (stopping, not yet quiescent) */
	u16 resuming; /* taken off for a change (affinity, priority), not to sleep: it runs on at once */
	u64 deadline_ns; /* EDF modes: the absolute deadline of the job in hand (running, or preempted by a
			  * higher class with slice left: next in line); NO_DEADLINE: none */
	u64 since_ns;
	u64 end_ns;              /* when the running task's slice ends */
	u64 stopped_ns;          /* when the scheduler last stopped a task here (for the observer) */
	u32 pending[CATEGORIES]; /* admitted by this CPU's own dispatch or stop, not started yet */
	u32 placed[CATEGORIES];  /* admitted by another CPU placing a task here while this one idled */
};
struct iso_cpu cpus[MAX_CPUS];

/* A CPU deciding on a category holds its gate: two deciding at once could both see it free. */
u32 gates[CATEGORIES];

/* Per task: the admission it holds and has not used yet (cpu + 1; 0: none); for a thread with
 * timing, its current job and its home CPU. */
struct iso_task {
	u32 cpu_plus1;
	u16 category;
	u16 placed;      /* counted in the CPU's placed[], not pending[] */
	u32 home_plus1;  /* EDF modes: the CPU it is homed on (+ 1; 0: none yet) */
	u32 slot;        /* its entry in the home's table */
	u64 release_ns;  /* of the current job */
	u64 deadline_ns; /* absolute, of the current job */
	u64 consumed_ns; /* run time of the current job */
	u64 slept_ns;    /* when it last slept: the end of its job once the next one is released */
	u32 deferred;    /* the refinement ran another job before this one, against EDF's order */
	u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct iso_task);
} tasks SEC(".maps");

/*
 * EDF modes: partitioned. A thread with timing is homed on the allowed CPU with the lowest declared
 * utilisation (worst fit; ties: fewer threads, lower index) the first time it is queued, and stays;
 * the table of each CPU's periodic threads is what the refinement's demand check knows of the jobs
 * still to come.
 */
struct edf_homed {
	u32 pid; /* 0: free */
	u32 pad;
	u64 period_ns, deadline_ns, budget_ns, release_ns;
};
struct edf_cpu {
	u64 util_ppm;
	u32 count;
	u32 pad;
	struct edf_homed homed[ISO_EDF_HOMED];
};
struct edf_cpu edf[MAX_CPUS];
u32 home_gate;

/* What one CPU's dispatch sees of its queued jobs, in deadline order (used by that CPU only). */
struct edf_view {
	u32 n;
	u32 category[EDF_QUEUED + 1];
	u32 pid[EDF_QUEUED + 1]; /* after the queued jobs: the job that ran here until now, if runnable */
	u64 deadline[EDF_QUEUED + 1];
	u64 remaining[EDF_QUEUED + 1];
};
struct edf_view views[MAX_CPUS];

SEC(".data.stats") struct iso_stats stats;
SEC(".data.observed") struct iso_observed observed;

/* What each CPU runs, seen by the context-switch observer (any class). */
struct iso_seen {
	u32 category;
	u16 busy;
	u16 ext; /* a SCHED_EXT task */
	u64 since_ns;
};
struct iso_seen seen[MAX_CPUS];
SEC(".data.exit") struct iso_exit exit_info;

/*
 * This kernel's BTF names some sched_ext kfuncs with the implicit bpf_prog_aux argument but without
 * the "_impl" twin the verifier looks for (scx_bpf_kick_cpu, scx_bpf_dsq_nr_queued,
 * scx_bpf_dsq_peek, scx_bpf_select_cpu_dfl, …): programs that call them do not load. The
 * scheduler therefore uses none of them: an idle CPU is woken by placing a task on its local queue.
 */

#define ISO_OPS(name, args...) SEC("struct_ops/" #name) BPF_PROG(name, ##args)
#define DSQ_ITER (&___it) /* the iterator bpf_for_each declares */

static __always_inline struct iso_thread *thread_of(struct task_struct *p)
{
	u32 pid = p->pid;

	return bpf_map_lookup_elem(&threads, &pid);
}

static __always_inline u32 category_in(struct iso_thread *t)
{
	return t && t->category < CATEGORIES ? t->category : 0;
}

static __always_inline u32 category_of(struct task_struct *p)
{
	return category_in(thread_of(p));
}

/* The thread's timing, if it declared one (a period and a run time per job). */
static __always_inline struct iso_thread *timing_in(struct iso_thread *t)
{
	return t && t->period_ns && t->budget_ns ? t : NULL;
}

static __always_inline bool edf_mode(void)
{
	return ctl.mode == MODE_EDF || ctl.mode == MODE_EDF_REFINEMENT;
}

/* Does the mode keep categories apart for threads without timing? (Plain EDF and shortest-queue
 * do not; the refinement applies the interference-aware rule to them.) */
static __always_inline bool separates(void)
{
	return ctl.mode == MODE_INTERFERENCE_AWARE || ctl.mode == MODE_EDF_REFINEMENT;
}

static __always_inline struct iso_cpu *cpu_state(s32 cpu)
{
	if (cpu < 0 || cpu >= MAX_CPUS)
		return NULL;
	return &cpus[cpu & (MAX_CPUS - 1)];
}

/* The CPUs to look at: the possible ones, at most MAX_CPUS. */
static __always_inline s32 nr_cpus(void)
{
	return ctl.nr_cpus < MAX_CPUS ? (s32)ctl.nr_cpus : MAX_CPUS;
}

/*
 * May CPU `cpu` start a task of category k now? Not while another CPU runs k or has one admitted,
 * unless O > 0 and every such run ends within O % of a slice (an admitted task that has not
 * started will run a whole slice). (A global function: the verifier checks its loop once.)
 */
__noinline int admissible(u32 k, s32 cpu, u64 now)
{
	u64 allowance = ctl.slice_ns * ctl.overlap_pct / 100;
	s32 d;

	k &= CATEGORIES - 1;
	bpf_for(d, 0, nr_cpus()) {
		struct iso_cpu *o = &cpus[d & (MAX_CPUS - 1)];

		if (d == cpu)
			continue;
		if ((o->pending[k] || o->placed[k]) && allowance < ctl.slice_ns)
			return 0;
		if (o->busy && o->category == k && (allowance == 0 || o->end_ns > now + allowance))
			return 0;
	}
	return 1;
}

enum reserve { CHECK_ONLY, RESERVE_OWN, RESERVE_PLACED };

/* Decides, holding k's gate, whether `cpu` may start a task of k; if so, records the admission
 * asked for on that CPU before the gate opens again. */
static __always_inline bool admit(u32 k, s32 cpu, u64 now, enum reserve how)
{
	struct iso_cpu *c = cpu_state(cpu);
	bool ok;

	k &= CATEGORIES - 1;
	if (!c || __sync_val_compare_and_swap(&gates[k], 0, cpu + 1) != 0)
		return false;
	ok = admissible(k, cpu, now);
	if (ok && how == RESERVE_OWN)
		__sync_fetch_and_add(&c->pending[k], 1);
	else if (ok && how == RESERVE_PLACED)
		__sync_fetch_and_add(&c->placed[k], 1);
	if (!ok)
		__sync_fetch_and_add(&stats.refused[k], 1);
	__sync_lock_test_and_set(&gates[k], 0);
	return ok;
}

static __always_inline void record(struct iso_task *t, s32 cpu, u32 k, enum reserve how)
{
	t->cpu_plus1 = cpu + 1;
	t->category = k;
	t->placed = how == RESERVE_PLACED;
}

/* Gives the task's unused admission back. */
static __always_inline void withdraw(struct iso_task *t)
{
	struct iso_cpu *c = cpu_state((s32)t->cpu_plus1 - 1);
	u32 k = t->category & (CATEGORIES - 1);
	u32 *n;

	t->cpu_plus1 = 0;
	if (!c)
		return;
	n = t->placed ? &c->placed[k] : &c->pending[k];
	if (*n)
		__sync_fetch_and_sub(n, 1);
}

/* Moves one task of category k that may run on this CPU to it, if admissible; true if one moved. */
static __always_inline bool take(u32 k, s32 cpu, u64 now)
{
	struct task_struct *p;
	bool moved = false;

	k &= CATEGORIES - 1;
	if (ctl.drill_stall == ISO_DRILL_ALL || (k != 0 && k == ctl.drill_stall))
		return false;
	if (k == 0 || !separates()) {
		moved = scx_bpf_dsq_move_to_local(DSQ_BASE + k);
	} else {
		bpf_for_each(scx_dsq, p, DSQ_BASE + k, 0) {
			struct iso_task *t;

			if (!bpf_cpumask_test_cpu(cpu, p->cpus_ptr))
				continue;
			t = bpf_task_storage_get(&tasks, p, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
			if (!t || !admit(k, cpu, now, RESERVE_OWN))
				break;
			record(t, cpu, k, RESERVE_OWN);
			if (scx_bpf_dsq_move(DSQ_ITER, p, SCX_DSQ_LOCAL, 0)) {
				moved = true;
				break;
			}
			withdraw(t); /* it left the queue meanwhile */
		}
	}
	if (moved)
		__sync_fetch_and_add(&stats.dispatches[k], 1);
	return moved;
}


/* ---- EDF modes (docs/schedext.md "EDF") ---- */

static __always_inline u64 relative_deadline(struct iso_thread *th)
{
	return th->deadline_ns ? th->deadline_ns : th->period_ns;
}

static __always_inline u64 utilisation_ppm(u64 budget_ns, u64 period_ns)
{
	return budget_ns * PPM / period_ns;
}

/* The CPU a thread is homed on, and its entry there (NULL: not homed). */
static __always_inline struct edf_cpu *home_of(struct iso_task *t)
{
	return t->home_plus1 && t->home_plus1 <= MAX_CPUS ? &edf[(t->home_plus1 - 1) & (MAX_CPUS - 1)] : NULL;
}

static __always_inline struct edf_homed *entry_of(struct edf_cpu *e, struct iso_task *t)
{
	return &e->homed[t->slot & (ISO_EDF_HOMED - 1)];
}

/* The next job: a wake-up at least half a period after the last release (a thread woken inside its
 * job, by a lock, goes on with the same job). The job before is judged: it ended when the thread
 * last slept, a miss if that was after its deadline. Kept in every mode, so that runs compare. */
static __always_inline void edf_release(struct iso_task *t, struct iso_thread *th, u32 k, u64 now)
{
	u64 relative = relative_deadline(th);
	struct edf_cpu *e = home_of(t);

	if (t->release_ns && now < t->release_ns + th->period_ns / 2)
		return;
	if (t->release_ns) {
		__sync_fetch_and_add(&stats.jobs[k & (CATEGORIES - 1)], 1);
		if (t->slept_ns > t->deadline_ns) {
			__sync_fetch_and_add(&stats.misses[k & (CATEGORIES - 1)], 1);
			if (t->deferred)
				__sync_fetch_and_add(&stats.refined_misses[k & (CATEGORIES - 1)], 1);
		}
	}
	t->deferred = 0;
	t->release_ns = now;
	t->deadline_ns = now + relative;
	t->consumed_ns = 0;
	t->slept_ns = 0;
	if (e) {
		struct edf_homed *h = entry_of(e, t);

		h->release_ns = now;
		h->deadline_ns = relative;
	}
}

/* Homes a thread with timing: worst fit over the CPUs it may use. Not while migration is disabled
 * (its allowed CPUs are then only the one it is on); the next enqueue tries again. */
static __always_inline void edf_join(struct task_struct *p, struct iso_task *t, struct iso_thread *th)
{
	u64 best_util = ~0ULL;
	u32 best_count = ~0U;
	s32 best = -1, cpu;
	u32 i;

	if (p->migration_disabled || __sync_val_compare_and_swap(&home_gate, 0, 1) != 0)
		return;
	bpf_for(cpu, 0, nr_cpus()) {
		struct edf_cpu *e = &edf[cpu & (MAX_CPUS - 1)];

		if (!bpf_cpumask_test_cpu(cpu, p->cpus_ptr) || e->count >= ISO_EDF_HOMED)
			continue;
		if (th->home_plus1) { /* declared by user space */
			if ((u32)cpu + 1 == th->home_plus1)
				best = cpu;
			continue;
		}
		if (e->util_ppm < best_util || (e->util_ppm == best_util && e->count < best_count)) {
			best = cpu;
			best_util = e->util_ppm;
			best_count = e->count;
		}
	}
	if (best < 0) {
		__sync_fetch_and_add(&stats.unhomed, 1);
	} else {
		struct edf_cpu *e = &edf[best & (MAX_CPUS - 1)];

		bpf_for(i, 0, ISO_EDF_HOMED) {
			struct edf_homed *h = &e->homed[i & (ISO_EDF_HOMED - 1)];

			if (h->pid)
				continue;
			h->pid = p->pid;
			h->period_ns = th->period_ns;
			h->deadline_ns = relative_deadline(th);
			h->budget_ns = th->budget_ns;
			h->release_ns = t->release_ns;
			e->count++;
			e->util_ppm += utilisation_ppm(th->budget_ns, th->period_ns);
			t->slot = i;
			t->home_plus1 = best + 1;
			break;
		}
	}
	__sync_lock_test_and_set(&home_gate, 0);
}

/* The thread leaves its home (it left the scheduler or ended). Its entry is freed under the gate,
 * which joins hold only briefly; should it stay taken beyond the bound, the entry is freed anyway
 * (a stale utilisation would be worse) and the gate left to its holder. */
static __always_inline void edf_leave(struct iso_task *t)
{
	struct edf_cpu *e = home_of(t);
	struct edf_homed *h;
	bool gated = false;
	u32 i;

	if (!e)
		return;
	h = entry_of(e, t);
	t->home_plus1 = 0;
	bpf_for(i, 0, 1 << 20) {
		if (__sync_val_compare_and_swap(&home_gate, 0, 1) == 0) {
			gated = true;
			break;
		}
	}
	if (h->pid && h->period_ns) {
		u64 u = utilisation_ppm(h->budget_ns, h->period_ns);

		e->util_ppm = e->util_ppm > u ? e->util_ppm - u : 0;
		if (e->count)
			e->count--;
		h->pid = 0;
	}
	if (gated)
		__sync_lock_test_and_set(&home_gate, 0);
}

/* Is the thread homed with the timing it declares now? */
static __always_inline bool edf_declared_as(struct iso_task *t, struct iso_thread *th)
{
	struct edf_cpu *e = home_of(t);
	struct edf_homed *h;

	if (!e)
		return false;
	h = entry_of(e, t);
	return h->period_ns == th->period_ns && h->budget_ns == th->budget_ns
	       && (!th->home_plus1 || th->home_plus1 == t->home_plus1);
}

/* The earliest deadline queued on a CPU (NO_DEADLINE: none); its queue is ordered by deadline. */
static __always_inline u64 earliest_queued(s32 cpu)
{
	struct task_struct *q;

	bpf_for_each(scx_dsq, q, DSQ_EDF_BASE + cpu, 0)
		return q->scx.dsq_vtime;
	return NO_DEADLINE;
}

/* Queues a homed thread's job on its home: at once if the home idles; ahead of everything there if
 * its deadline is earlier than the home's job in hand (running, or preempted by a higher class
 * and waiting at the head of the local queue; preempted if it runs) and than every job queued
 * there; else in the home's queue by deadline, where the home's next dispatch decides (when it
 * runs a higher class now, e.g. the timer thread that woke this one). False if the home may not
 * run it now (migration disabled elsewhere): the category queues take it. */
static __always_inline bool edf_enqueue(struct task_struct *p, struct iso_task *t, u32 k, u64 enq_flags)
{
	s32 home = (s32)t->home_plus1 - 1;
	struct iso_cpu *h = cpu_state(home);

	if (!h || ctl.drill_stall == ISO_DRILL_ALL || !bpf_cpumask_test_cpu(home, p->cpus_ptr))
		return false;
	if (scx_bpf_test_and_clear_cpu_idle(home)) {
		scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL_ON | home, ctl.slice_ns, enq_flags);
		__sync_fetch_and_add(&stats.dispatches[k], 1);
		__sync_fetch_and_add(&stats.wakeups, 1);
		return true;
	}
	if ((enq_flags & SCX_ENQ_WAKEUP) && h->deadline_ns != NO_DEADLINE && t->deadline_ns < h->deadline_ns
	    && t->deadline_ns < earliest_queued(home)) {
		scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL_ON | home, ctl.slice_ns, enq_flags | SCX_ENQ_HEAD | SCX_ENQ_PREEMPT);
		__sync_fetch_and_add(&stats.dispatches[k], 1);
		__sync_fetch_and_add(&stats.preemptions, 1);
		return true;
	}
	scx_bpf_dsq_insert_vtime(p, DSQ_EDF_BASE + home, ctl.slice_ns, t->deadline_ns, enq_flags);
	return true;
}

static __always_inline u64 remaining_of(struct iso_task *t, struct iso_thread *th)
{
	return th && t->consumed_ns < th->budget_ns ? th->budget_ns - t->consumed_ns : 0;
}

/* Does a job of category k run on another CPU than `cpu`? */
static __always_inline bool runs_elsewhere(u32 k, s32 cpu)
{
	s32 d;

	if (k == 0)
		return false;
	bpf_for(d, 0, nr_cpus()) {
		struct iso_cpu *o = &cpus[d & (MAX_CPUS - 1)];

		if (d != cpu && o->busy && o->category == k)
			return true;
	}
	return false;
}

/* The deadline of a homed periodic thread's next job: released no earlier than its last release plus
 * its period (0: a free entry). */
static __always_inline u64 first_due(struct edf_homed *h, u64 now)
{
	u64 next;

	if (!h->pid || !h->period_ns)
		return 0;
	next = h->release_ns + h->period_ns;
	return (next > now ? next : now) + h->deadline_ns;
}

/* Processor demand on `cpu` by time t if view entry `first` runs to completion first and EDF after
 * it: the queued jobs due by t and the jobs the CPU's periodic threads can still release due by t
 * (each no earlier than its last release plus its period) must fit in t - now. */
__noinline int edf_demand_fits(s32 cpu, u32 first, u64 t, u64 now)
{
	struct edf_view *v;
	struct edf_cpu *e;
	u64 demand;
	u32 i, n;

	if (cpu < 0 || cpu >= MAX_CPUS || first > EDF_QUEUED || t < now)
		return 0;
	v = &views[cpu & (MAX_CPUS - 1)];
	e = &edf[cpu & (MAX_CPUS - 1)];
	n = v->n <= EDF_QUEUED + 1 ? v->n : EDF_QUEUED + 1;
	demand = v->remaining[first];
	bpf_for(i, 0, n) {
		u32 j = i < EDF_QUEUED + 1 ? i : EDF_QUEUED;

		if (j != first && v->deadline[j] <= t)
			demand += v->remaining[j];
	}
	bpf_for(i, 0, ISO_EDF_HOMED) {
		struct edf_homed *h = &e->homed[i & (ISO_EDF_HOMED - 1)];
		u64 due = first_due(h, now);

		if (due && t >= due)
			demand += ((t - due) / h->period_ns + 1) * h->budget_ns;
	}
	return demand <= t - now;
}

/* May view entry `first` run before EDF's choice without a miss EDF would not have? Checked at every
 * deadline up to where demand can no longer exceed supply; no, if the CPU's declared utilisation is
 * 1 or more, or more than EDF_CHECKPOINTS deadlines would have to be checked. */
__noinline int edf_runs_first_safely(s32 cpu, u32 first, u64 now)
{
	struct edf_view *v;
	struct edf_cpu *e;
	u64 work = 0, horizon, util;
	u32 i, j, n, checkpoints = 0;

	if (cpu < 0 || cpu >= MAX_CPUS || first > EDF_QUEUED)
		return 0;
	v = &views[cpu & (MAX_CPUS - 1)];
	e = &edf[cpu & (MAX_CPUS - 1)];
	util = e->util_ppm;
	if (util >= PPM)
		return 0;
	n = v->n <= EDF_QUEUED + 1 ? v->n : EDF_QUEUED + 1;
	bpf_for(i, 0, n)
		work += v->remaining[i < EDF_QUEUED + 1 ? i : EDF_QUEUED];
	bpf_for(i, 0, ISO_EDF_HOMED) {
		struct edf_homed *h = &e->homed[i & (ISO_EDF_HOMED - 1)];

		if (h->pid && h->period_ns)
			work += h->budget_ns;
	}
	horizon = now + (work * PPM + (PPM - util) - 1) / (PPM - util);
	bpf_for(i, 0, n) {
		u64 d = v->deadline[i < EDF_QUEUED + 1 ? i : EDF_QUEUED];

		if (d > horizon)
			continue;
		if (++checkpoints > EDF_CHECKPOINTS || !edf_demand_fits(cpu, first, d, now))
			return 0;
	}
	bpf_for(i, 0, ISO_EDF_HOMED) {
		struct edf_homed *h = &e->homed[i & (ISO_EDF_HOMED - 1)];
		u64 d = first_due(h, now);

		if (!d)
			continue;
		bpf_for(j, 0, EDF_CHECKPOINTS + 1) {
			if (d > horizon)
				break;
			if (++checkpoints > EDF_CHECKPOINTS || !edf_demand_fits(cpu, first, d, now))
				return 0;
			d += h->period_ns;
		}
	}
	return 1;
}

/*
 * EDF's dispatch on `cpu`: the job with the earliest deadline among those queued here and the one
 * that just ran (which goes on if it is the earliest). With the refinement, if that job's category
 * runs on another CPU, the earliest job whose category does not runs instead, if the demand check
 * allows. A queued job this CPU may no longer run goes to its category's queue.
 */
static __always_inline bool edf_dispatch(s32 cpu, struct task_struct *prev, u64 now)
{
	struct edf_view *v = &views[cpu & (MAX_CPUS - 1)];
	struct task_struct *p;
	struct iso_task *t;
	s32 head = -1, choice = -1;
	u32 i, n = 0;

	bpf_for_each(scx_dsq, p, DSQ_EDF_BASE + cpu, 0) {
		struct iso_thread *th = thread_of(p);
		u32 j = n < EDF_QUEUED ? n : EDF_QUEUED - 1;

		if (!bpf_cpumask_test_cpu(cpu, p->cpus_ptr)) {
			scx_bpf_dsq_move(DSQ_ITER, p, DSQ_BASE + category_in(th), 0);
			continue;
		}
		if (n >= EDF_QUEUED)
			break;
		t = bpf_task_storage_get(&tasks, p, 0, 0);
		v->pid[j] = p->pid;
		v->category[j] = category_in(th);
		v->deadline[j] = t ? t->deadline_ns : NO_DEADLINE;
		v->remaining[j] = t ? remaining_of(t, timing_in(th)) : 0;
		if (head < 0)
			head = (s32)j;
		n++;
	}
	/* The job that ran here until now, still runnable: it goes on if its deadline is the earliest;
	 * else its remaining work counts in the demand check (the entry after the queued ones). */
	v->n = n;
	t = prev && (prev->scx.flags & SCX_TASK_QUEUED) ? bpf_task_storage_get(&tasks, prev, 0, 0) : NULL;
	if (t && t->home_plus1 == (u32)cpu + 1) {
		u32 j = n <= EDF_QUEUED ? n : EDF_QUEUED;

		if (head < 0 || t->deadline_ns <= v->deadline[head & (EDF_QUEUED - 1)]) {
			scx_bpf_task_set_slice(prev, ctl.slice_ns);
			return true;
		}
		v->pid[j] = prev->pid;
		v->category[j] = category_of(prev);
		v->deadline[j] = t->deadline_ns;
		v->remaining[j] = remaining_of(t, timing_in(thread_of(prev)));
		v->n = j + 1;
	} else {
		t = NULL;
	}
	if (head < 0)
		return false;
	choice = head;
	if (ctl.mode == MODE_EDF_REFINEMENT && runs_elsewhere(v->category[head & (EDF_QUEUED - 1)], cpu)) {
		bool unsafe = false;

		choice = -1;
		bpf_for(i, 0, n) {
			u32 j = i & (EDF_QUEUED - 1);

			if (j == (u32)head || runs_elsewhere(v->category[j], cpu))
				continue;
			if (edf_runs_first_safely(cpu, j, now)) {
				choice = (s32)j;
				break;
			}
			unsafe = true;
		}
		if (choice < 0) {
			__sync_fetch_and_add(&stats.refine_refused, 1);
			if (unsafe)
				__sync_fetch_and_add(&stats.refine_unsafe, 1);
			choice = head;
		} else {
			__sync_fetch_and_add(&stats.refined, 1);
		}
	}
	/* Jobs put behind the chosen one against EDF's order are marked: a miss of theirs would be the
	 * refinement's doing (stats.refined_misses; the demand check says there are none). */
	if (choice != head && t && t->deadline_ns < v->deadline[choice & (EDF_QUEUED - 1)])
		t->deferred = 1;
	i = 0;
	bpf_for_each(scx_dsq, p, DSQ_EDF_BASE + cpu, 0) {
		if (i++ != (u32)choice) {
			struct iso_task *d = choice != head ? bpf_task_storage_get(&tasks, p, 0, 0) : NULL;

			if (d && d->deadline_ns < v->deadline[choice & (EDF_QUEUED - 1)])
				d->deferred = 1;
			continue;
		}
		if (p->pid != v->pid[choice & (EDF_QUEUED - 1)] || !scx_bpf_dsq_move(DSQ_ITER, p, SCX_DSQ_LOCAL, 0))
			return false; /* the queue changed meanwhile: the next dispatch decides again */
		__sync_fetch_and_add(&stats.dispatches[v->category[choice & (EDF_QUEUED - 1)] & (CATEGORIES - 1)], 1);
		return true;
	}
	return false;
}

s32 ISO_OPS(iso_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
	struct iso_task *t;

	/* Where the task goes is decided in enqueue and dispatch, through the queues; a homed job
	 * wakes on its home, so that placing it there is local. */
	if (edf_mode() && (t = bpf_task_storage_get(&tasks, p, 0, 0)) && t->home_plus1
	    && bpf_cpumask_test_cpu(t->home_plus1 - 1, p->cpus_ptr))
		return (s32)t->home_plus1 - 1;
	return prev_cpu;
}

void ISO_OPS(iso_enqueue, struct task_struct *p, u64 enq_flags)
{
	struct iso_thread *th = thread_of(p);
	struct iso_thread *timing = timing_in(th);
	u32 category = category_in(th);
	u32 k = separates() ? category : 0;
	u64 now = bpf_ktime_get_ns();
	/* (a task of a category or with timing will want its storage; one without, only if it has one) */
	struct iso_task *t = bpf_task_storage_get(&tasks, p, 0, k != 0 || timing ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
	s32 cpu;

	/* Any unused admission is void: the task is placed afresh. */
	if (t && t->cpu_plus1)
		withdraw(t);
	if (t && timing) {
		if (enq_flags & SCX_ENQ_WAKEUP)
			edf_release(t, timing, category, now);
		if (edf_mode()) {
			if (t->home_plus1 && !edf_declared_as(t, timing))
				edf_leave(t); /* declared anew: homed anew */
			if (!t->home_plus1)
				edf_join(p, t, timing);
			if (t->home_plus1 && edf_enqueue(p, t, category, enq_flags))
				return;
		}
	}
	/* An idle CPU that may run it gets it at once (placing it on that CPU's queue wakes it);
	 * otherwise it waits in its category's queue for the next CPU that may. A task with
	 * migration disabled has only its own CPU in cpus_ptr. */
	if (ctl.drill_stall != ISO_DRILL_ALL && (k == 0 || (k != ctl.drill_stall && admissible(k, -1, now)))) {
		cpu = scx_bpf_pick_idle_cpu(p->cpus_ptr, 0);
		if (cpu >= 0 && (k == 0 || (t && admit(k, cpu, now, RESERVE_PLACED)))) {
			if (k != 0)
				record(t, cpu, k, RESERVE_PLACED);
			scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL_ON | cpu, ctl.slice_ns, enq_flags);
			__sync_fetch_and_add(&stats.dispatches[k], 1);
			__sync_fetch_and_add(&stats.wakeups, 1);
			return;
		}
	}
	scx_bpf_dsq_insert(p, DSQ_BASE + k, ctl.slice_ns, enq_flags);
}

void ISO_OPS(iso_dispatch, s32 cpu, struct task_struct *prev)
{
	u64 now = bpf_ktime_get_ns();
	/* Start the round at a different category each time: none waits behind another for ever. */
	u32 first = (u32)(now >> 10) % CATEGORIES;

	if (edf_mode() && ctl.drill_stall != ISO_DRILL_ALL && edf_dispatch(cpu, prev, now))
		return;
	/* (threads without timing, and under the EDF modes' rules, jobs whose home may not run them) */
	for (u32 i = 0; i < CATEGORIES; i++) {
		if (take((first + i) % CATEGORIES, cpu, now))
			return;
	}
	/* Jobs queued by an EDF mode before a switch to another mode. */
	if (!edf_mode() && ctl.drill_stall != ISO_DRILL_ALL)
		scx_bpf_dsq_move_to_local(DSQ_EDF_BASE + cpu);
}

void ISO_OPS(iso_running, struct task_struct *p)
{
	s32 cpu = scx_bpf_task_cpu(p);
	struct iso_cpu *c = cpu_state(cpu);
	u32 k = category_of(p);
	u64 now = bpf_ktime_get_ns();
	struct iso_task *t;
	bool admitted = false, resumed;
	s32 d;

	if (!c)
		return;
	/* A task taken off the CPU for a change while it ran (on PREEMPT_RT above all: migrate_enable()
	 * restoring its affinity) runs on without passing the scheduler; the CPU kept its claim, and
	 * any co-running it is part of was counted when it began. */
	resumed = c->resuming && c->pid == p->pid && c->category == k;
	c->leaving = 0;
	c->resuming = 0;
	c->pid = p->pid;
	/* The running task holds the claim from here; only then is its admission given back, so
	 * that the CPU never looks free of the category in between. */
	c->category = k;
	c->since_ns = now;
	c->end_ns = now + p->scx.slice;
	__sync_lock_test_and_set(&c->busy, 1);
	t = bpf_task_storage_get(&tasks, p, 0, 0);
	c->deadline_ns = t && t->home_plus1 && edf_mode() ? t->deadline_ns : NO_DEADLINE;
	if (t && t->cpu_plus1) {
		admitted |= t->cpu_plus1 == (u32)cpu + 1 && t->category == k;
		withdraw(t);
	}
	if (k == 0 || resumed)
		return;
	/* Started without an admission: it joined the scheduler while running, or was placed under
	 * another mode. It may go on if that is admissible, else its slice ends at the next tick so
	 * that it goes through the queues. */
	if (!admitted && ctl.mode == MODE_INTERFERENCE_AWARE) {
		__sync_fetch_and_add(&stats.unadmitted[k], 1);
		if (!admit(k, cpu, now, CHECK_ONLY))
			scx_bpf_task_set_slice(p, 0);
	}
	bpf_for(d, 0, nr_cpus()) {
		struct iso_cpu *o = &cpus[d & (MAX_CPUS - 1)];

		if (d != cpu && o->busy && o->category == k) {
			__sync_fetch_and_add(&stats.corun_events[k], 1);
			if (ctl.mode == MODE_INTERFERENCE_AWARE && ctl.overlap_pct == 0)
				__sync_fetch_and_add(&stats.violations[k], 1);
			break;
		}
	}
}

void ISO_OPS(iso_tick, struct task_struct *p)
{
	struct iso_cpu *c = cpu_state(scx_bpf_task_cpu(p));

	/* A task the kernel keeps running past its slice (nothing else to run here) gets a new one. */
	if (c && c->busy)
		c->end_ns = bpf_ktime_get_ns() + p->scx.slice;
}

void ISO_OPS(iso_stopping, struct task_struct *p, bool runnable)
{
	s32 cpu = scx_bpf_task_cpu(p);
	struct iso_cpu *c = cpu_state(cpu);
	u64 now = bpf_ktime_get_ns();
	struct iso_task *t;
	u32 k;
	s32 d;

	if (!c || !c->busy)
		return;
	k = c->category & (CATEGORIES - 1);
	t = bpf_task_storage_get(&tasks, p, 0, 0);
	if (t && t->release_ns)
		t->consumed_ns += now - c->since_ns;
	/* Preempted by a higher class with slice left: it goes back to the head of this CPU's local
	 * queue and resumes without passing the scheduler, so it keeps an admission here. */
	if (k != 0 && runnable && p->scx.slice > 0) {
		if (!t)
			t = bpf_task_storage_get(&tasks, p, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (t) {
			__sync_fetch_and_add(&c->pending[k], 1);
			record(t, cpu, k, RESERVE_OWN);
		}
	}
	/* Taken off while running: to sleep, or for a change after which it runs on (quiescent tells
	 * which). Until then the CPU keeps the claim: letting go and taking it back would open a
	 * window in which another CPU could start the category. */
	if (!runnable || !p->scx.slice)
		c->deadline_ns = NO_DEADLINE; /* no job in hand: it sleeps, or goes back to the queue */
	if (runnable) {
		c->stopped_ns = now;
		__sync_lock_test_and_set(&c->busy, 0);
	} else {
		c->leaving = 1;
	}
	if (k == 0)
		return;
	__sync_fetch_and_add(&stats.run_ns[k], now - c->since_ns);
	/* Overlap of this run with every run of the same category still going on elsewhere: each
	 * pair is counted once, by the one that stops first. */
	bpf_for(d, 0, nr_cpus()) {
		struct iso_cpu *o = &cpus[d & (MAX_CPUS - 1)];
		u64 from;

		if (d == cpu || !o->busy || o->category != k)
			continue;
		from = o->since_ns > c->since_ns ? o->since_ns : c->since_ns;
		if (now > from)
			__sync_fetch_and_add(&stats.corun_ns[k], now - from);
	}
}

/* The CPU's claim ends: its task slept, left the scheduler, or never came back. */
static __always_inline void release(struct iso_cpu *c)
{
	c->leaving = 0;
	c->resuming = 0;
	c->stopped_ns = bpf_ktime_get_ns();
	__sync_lock_test_and_set(&c->busy, 0);
}

void ISO_OPS(iso_quiescent, struct task_struct *p, u64 deq_flags)
{
	struct iso_cpu *c = cpu_state(scx_bpf_task_cpu(p));
	struct iso_task *t = bpf_task_storage_get(&tasks, p, 0, 0);

	/* Asleep, or leaving a local queue without having run (new affinity, another class). */
	if (t && t->cpu_plus1)
		withdraw(t);
	if (t && (deq_flags & SCX_DEQ_SLEEP))
		t->slept_ns = bpf_ktime_get_ns();
	if (c && c->leaving && c->pid == p->pid) {
		if (deq_flags & SCX_DEQ_SLEEP)
			release(c);
		else
			c->resuming = 1;
		c->leaving = 0;
	}
}

void ISO_OPS(iso_disable, struct task_struct *p)
{
	struct iso_cpu *c = cpu_state(scx_bpf_task_cpu(p));
	struct iso_task *t = bpf_task_storage_get(&tasks, p, 0, 0);

	/* A thread that leaves the scheduler gives up its home (not one boosted for a while). */
	if (t && p->policy != SCHED_EXT_POLICY)
		edf_leave(t);

	/* Left the scheduler while it held its CPU's claim. A policy change ends the claim. Priority
	 * inheritance does not: a real-time task waits for a lock this one holds (on PREEMPT_RT, any
	 * spinlock), so it runs on boosted, its policy still SCHED_EXT, and comes back here when it
	 * lets go; its category stays held meanwhile (until then the CPU runs it, or goes idle). */
	if (c && c->busy && c->pid == p->pid && (c->leaving || c->resuming) && p->policy != SCHED_EXT_POLICY)
		release(c);
}

void ISO_OPS(iso_update_idle, s32 cpu, bool idle)
{
	struct iso_cpu *c = cpu_state(cpu);

	/* A CPU goes idle only with nothing queued, so its own admissions are all used by now: one
	 * still recorded would block its category elsewhere for nothing. Counted, as it means a path
	 * the bookkeeping above missed. (Not so a task placed here by another CPU: the kernel marks
	 * the CPU idle before telling the scheduler, and one may have been placed in between.) */
	if (!c || !idle)
		return;
	c->deadline_ns = NO_DEADLINE;
	if (c->busy)
		release(c); /* a claim kept for a task that did not run on after all */
	for (u32 k = 1; k < CATEGORIES; k++) {
		if (c->pending[k]) {
			__sync_fetch_and_add(&stats.lost[k], 1);
			__sync_lock_test_and_set(&c->pending[k], 0);
		}
	}
}

/* When the task the observer sees on CPU `cpu` stopped running, as far as the scheduler knows: when
 * it stopped it, for a SCHED_EXT task it stopped after the observer saw it start; else `until`. */
static __always_inline u64 stopped_since(struct iso_seen *s, s32 cpu, u64 until)
{
	struct iso_cpu *x = cpu_state(cpu);

	if (x && s->ext && x->stopped_ns > s->since_ns && x->stopped_ns < until)
		return x->stopped_ns;
	return until;
}

/*
 * The observer: at every context switch, whatever the scheduling class, the same accounting of run
 * and co-running time per category as in running/stopping, so that the kernel's own scheduler,
 * affinity and this scheduler are measured alike. Attached by the self-test only.
 */
SEC("tp_btf/sched_switch")
int BPF_PROG(iso_observe, bool preempt, struct task_struct *prev, struct task_struct *next, unsigned int prev_state)
{
	s32 cpu = bpf_get_smp_processor_id();
	u64 now = bpf_ktime_get_ns();
	struct iso_seen *c;
	u32 k;
	s32 d;

	if (cpu < 0 || cpu >= MAX_CPUS)
		return 0;
	c = &seen[cpu & (MAX_CPUS - 1)];
	if (c->busy) {
		/* The switch comes after the scheduler stopped a SCHED_EXT task: from then on its CPU
		 * runs the scheduler, not the task. */
		u64 ran_until = stopped_since(c, cpu, now);

		k = c->category & (CATEGORIES - 1);
		c->busy = 0;
		__sync_fetch_and_add(&observed.run_ns[k], now - c->since_ns);
		bpf_for(d, 0, nr_cpus()) {
			struct iso_seen *o = &seen[d & (MAX_CPUS - 1)];
			u64 from, both;

			if (d == cpu || !o->busy || o->category != k)
				continue;
			from = o->since_ns > c->since_ns ? o->since_ns : c->since_ns;
			if (now <= from)
				continue;
			__sync_fetch_and_add(&observed.corun_ns[k], now - from);
			both = stopped_since(o, d, ran_until);
			if (both < now)
				__sync_fetch_and_add(&observed.switching_ns[k], now - (both > from ? both : from));
		}
	}
	k = category_of(next);
	if (k == 0)
		return 0;
	bpf_for(d, 0, nr_cpus()) {
		struct iso_seen *o = &seen[d & (MAX_CPUS - 1)];

		if (d != cpu && o->busy && o->category == k) {
			__sync_fetch_and_add(&observed.corun_events[k], 1);
			if (stopped_since(o, d, now) < now)
				__sync_fetch_and_add(&observed.stopped_events[k], 1);
			break;
		}
	}
	c->ext = next->policy == SCHED_EXT_POLICY;
	c->category = k;
	c->since_ns = now;
	c->busy = 1;
	return 0;
}

s32 SEC("struct_ops.s/iso_init") BPF_PROG(iso_init)
{
	s32 cpu;

	for (u32 k = 0; k < CATEGORIES; k++) {
		s32 err = scx_bpf_create_dsq(DSQ_BASE + k, -1);

		if (err)
			return err;
	}
	bpf_for(cpu, 0, nr_cpus()) {
		s32 err = scx_bpf_create_dsq(DSQ_EDF_BASE + cpu, -1);

		if (err)
			return err;
		cpus[cpu & (MAX_CPUS - 1)].deadline_ns = NO_DEADLINE;
	}
	return 0;
}

void ISO_OPS(iso_exit, struct scx_exit_info *ei)
{
	exit_info.kind = ei->kind;
	exit_info.exit_code = ei->exit_code;
	bpf_probe_read_kernel_str(exit_info.reason, sizeof(exit_info.reason), ei->reason);
	bpf_probe_read_kernel_str(exit_info.msg, sizeof(exit_info.msg), ei->msg);
}

SEC(".struct_ops.link")
struct sched_ext_ops isochron_ops = {
	.select_cpu = (void *)iso_select_cpu,
	.enqueue = (void *)iso_enqueue,
	.dispatch = (void *)iso_dispatch,
	.tick = (void *)iso_tick,
	.running = (void *)iso_running,
	.stopping = (void *)iso_stopping,
	.quiescent = (void *)iso_quiescent,
	.disable = (void *)iso_disable,
	.update_idle = (void *)iso_update_idle,
	.init = (void *)iso_init,
	.exit = (void *)iso_exit,
	/* Every start goes through the admission: on PREEMPT_RT a thread often wakes with migration
	 * disabled (a sleeping spinlock), and by default the kernel would put such a thread, or an
	 * exiting one, straight on its CPU without asking the scheduler. */
	.flags = SCX_OPS_SWITCH_PARTIAL | SCX_OPS_KEEP_BUILTIN_IDLE | SCX_OPS_ENQ_MIGRATION_DISABLED | SCX_OPS_ENQ_EXITING,
	.timeout_ms = 10000,
	.name = "isochron",
};
