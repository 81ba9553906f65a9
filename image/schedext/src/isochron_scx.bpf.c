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
	u64 since_ns;
	u64 end_ns;              /* when the running task's slice ends */
	u64 stopped_ns;          /* when the scheduler last stopped a task here (for the observer) */
	u32 pending[CATEGORIES]; /* admitted by this CPU's own dispatch or stop, not started yet */
	u32 placed[CATEGORIES];  /* admitted by another CPU placing a task here while this one idled */
};
struct iso_cpu cpus[MAX_CPUS];

/* A CPU deciding on a category holds its gate: two deciding at once could both see it free. */
u32 gates[CATEGORIES];

/* Per task: the admission it holds and has not used yet (cpu + 1; 0: none). */
struct iso_task {
	u32 cpu_plus1;
	u16 category;
	u16 placed; /* counted in the CPU's placed[], not pending[] */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct iso_task);
} tasks SEC(".maps");

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

static __always_inline u32 category_of(struct task_struct *p)
{
	u32 pid = p->pid;
	struct iso_thread *t = bpf_map_lookup_elem(&threads, &pid);
	u32 k;

	if (!t)
		return 0;
	k = t->category;
	return k < CATEGORIES ? k : 0;
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

/* The task's unused admission, if any, is void: it is placed afresh or leaves the scheduler. */
static __always_inline void forget_admission(struct task_struct *p)
{
	struct iso_task *t = bpf_task_storage_get(&tasks, p, 0, 0);

	if (t && t->cpu_plus1)
		withdraw(t);
}

/* Moves one task of category k that may run on this CPU to it, if admissible; true if one moved. */
static __always_inline bool take(u32 k, s32 cpu, u64 now)
{
	struct task_struct *p;
	bool moved = false;

	k &= CATEGORIES - 1;
	if (ctl.drill_stall == ISO_DRILL_ALL || (k != 0 && k == ctl.drill_stall))
		return false;
	if (k == 0 || ctl.mode == MODE_SHORTEST_QUEUE) {
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

s32 ISO_OPS(iso_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
	/* Where the task goes is decided in enqueue and dispatch, through the queues. */
	return prev_cpu;
}

void ISO_OPS(iso_enqueue, struct task_struct *p, u64 enq_flags)
{
	u32 k = ctl.mode == MODE_SHORTEST_QUEUE ? 0 : category_of(p);
	u64 now = bpf_ktime_get_ns();
	/* (a task of a category will want its storage for an admission; one without, only if it has one) */
	struct iso_task *t = bpf_task_storage_get(&tasks, p, 0, k != 0 ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
	s32 cpu;

	/* Any unused admission is void: the task is placed afresh. */
	if (t && t->cpu_plus1)
		withdraw(t);
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

	for (u32 i = 0; i < CATEGORIES; i++) {
		if (take((first + i) % CATEGORIES, cpu, now))
			return;
	}
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
	if (t && t->cpu_plus1) {
		admitted |= t->cpu_plus1 == (u32)cpu + 1 && t->category == k;
		withdraw(t);
	}
	if (k == 0 || resumed)
		return;
	/* Started without an admission: it joined the scheduler while running, or was placed under
	 * another mode. It may go on if that is admissible, else its slice ends at the next tick so
	 * that it goes through the queues. */
	if (!admitted && ctl.mode != MODE_SHORTEST_QUEUE) {
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
	/* Preempted by a higher class with slice left: it goes back to the head of this CPU's local
	 * queue and resumes without passing the scheduler, so it keeps an admission here. */
	if (k != 0 && runnable && p->scx.slice > 0) {
		t = bpf_task_storage_get(&tasks, p, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (t) {
			__sync_fetch_and_add(&c->pending[k], 1);
			record(t, cpu, k, RESERVE_OWN);
		}
	}
	/* Taken off while running: to sleep, or for a change after which it runs on (quiescent tells
	 * which). Until then the CPU keeps the claim: letting go and taking it back would open a
	 * window in which another CPU could start the category. */
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

	/* Asleep, or leaving a local queue without having run (new affinity, another class). */
	forget_admission(p);
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
	for (u32 k = 0; k < CATEGORIES; k++) {
		s32 err = scx_bpf_create_dsq(DSQ_BASE + k, -1);

		if (err)
			return err;
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
