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
#define DSQ_BASE 0x1500 /* one queue per category; category 0's is also the queue of "no separation" */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, u32); /* thread id */
	__type(value, struct iso_thread);
} threads SEC(".maps");

SEC(".data.ctl") volatile struct iso_ctl ctl = {
	.mode = MODE_INTERFERENCE_AWARE, .overlap_pct = 0, .slice_ns = 5000000, .nr_cpus = 1};

/* What each CPU runs now (category, since when, until when its slice ends). */
struct iso_cpu {
	u32 category;   /* of the task running now; meaningful while busy */
	u32 busy;
	u64 since_ns;
	u64 end_ns;
	u32 holder_pid; /* the task the CPU's claim is for (admitted or resumed) */
	u32 releasing;  /* 1 + the category whose task ended here: released when the next one starts */
};
struct iso_cpu cpus[MAX_CPUS];

/* Per category: the CPUs that hold an admission; a CPU deciding on the category holds its gate. */
u64 holders[CATEGORIES];
u32 gates[CATEGORIES];

SEC(".data.stats") struct iso_stats stats;
SEC(".data.observed") struct iso_observed observed;

/* What each CPU runs, seen by the context-switch observer (any class). */
struct iso_seen {
	u32 category;
	u32 busy;
	u64 since_ns;
};
struct iso_seen seen[MAX_CPUS];
SEC(".data.exit") struct iso_exit exit_info;

/*
 * This kernel's BTF names some sched_ext kfuncs with the implicit bpf_prog_aux argument but without
 * the "_impl" twin the verifier looks for (scx_bpf_kick_cpu, scx_bpf_dsq_nr_queued,
 * scx_bpf_select_cpu_dfl, scx_bpf_reenqueue_local, …): programs that call them do not load. The
 * scheduler therefore uses none of them: an idle CPU is woken by placing a task on its local queue,
 * and a CPU keeps its claim on a category while a higher class preempts its task.
 */

#define ISO_OPS(name, args...) SEC("struct_ops/" #name) BPF_PROG(name, ##args)

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

static __always_inline u64 cpu_bit(s32 cpu)
{
	return 1ULL << (cpu & (MAX_CPUS - 1));
}

static __always_inline void release(u32 k, s32 cpu)
{
	k &= CATEGORIES - 1;
	if (holders[k] & cpu_bit(cpu))
		__sync_fetch_and_and(&holders[k], ~cpu_bit(cpu));
}

/* The claim of the task that ended on this CPU, unless the task starting now continues it. */
static __always_inline void settle(struct iso_cpu *c, s32 cpu, u32 next_k)
{
	u32 r = c->releasing;

	if (r == 0)
		return;
	c->releasing = 0;
	if (r - 1 != next_k)
		release(r - 1, cpu);
}

/*
 * May CPU `cpu` start a task of category k now? Not while another CPU runs or holds k, unless
 * O > 0 and every such CPU's slice ends within O % of the new task's slice. (A global function:
 * the verifier checks its loop once, not at every call.)
 */
__noinline int admissible(u32 k, s32 cpu, u64 now)
{
	u64 allowance = ctl.slice_ns * ctl.overlap_pct / 100;
	u64 others = holders[k & (CATEGORIES - 1)] & ~cpu_bit(cpu);
	s32 d;

	bpf_for(d, 0, nr_cpus()) {
		struct iso_cpu *o = &cpus[d & (MAX_CPUS - 1)];

		if (d == cpu || !((others >> d) & 1 || (o->busy && o->category == k)))
			continue;
		if (allowance == 0 || (o->end_ns > now && o->end_ns - now > allowance))
			return 0;
	}
	return 1;
}

/*
 * Claims category k for CPU `cpu` (k >= 1) if admissible: the CPU then holds it until the task it
 * starts stops. One CPU at a time decides on a category: two deciding at once could both see it
 * free. *fresh says whether the claim is new (to undo it if no task comes of it).
 */
static __always_inline bool claim(u32 k, s32 cpu, u64 now, bool *fresh)
{
	struct iso_cpu *c = cpu_state(cpu);
	bool ok;

	k &= CATEGORIES - 1;
	if (!c || __sync_val_compare_and_swap(&gates[k], 0, cpu + 1) != 0)
		return false;
	ok = admissible(k, cpu, now);
	if (ok) {
		*fresh = !(holders[k] & cpu_bit(cpu));
		__sync_fetch_and_or(&holders[k], cpu_bit(cpu));
		c->end_ns = now + ctl.slice_ns;
	} else {
		__sync_fetch_and_add(&stats.refused[k], 1);
	}
	__sync_lock_test_and_set(&gates[k], 0);
	return ok;
}

/* Dispatch one task of category k to this CPU if admissible; true if one was moved. */
static __always_inline bool take(u32 k, s32 cpu, u64 now)
{
	bool fresh = false;

	k &= CATEGORIES - 1;
	if (ctl.drill_stall == ISO_DRILL_ALL || (k != 0 && k == ctl.drill_stall))
		return false;
	if (k != 0 && ctl.mode != MODE_SHORTEST_QUEUE && !claim(k, cpu, now, &fresh))
		return false;
	if (scx_bpf_dsq_move_to_local(DSQ_BASE + k)) {
		__sync_fetch_and_add(&stats.dispatches[k], 1);
		return true;
	}
	if (fresh)
		release(k, cpu);
	return false;
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
	struct iso_cpu *c;
	bool fresh = false;
	s32 cpu;

	/* An idle CPU that may run it gets it at once (placing it on that CPU's queue wakes it);
	 * otherwise it waits in its category's queue for the next CPU that may. */
	if (ctl.drill_stall != ISO_DRILL_ALL && (k == 0 || (k != ctl.drill_stall && admissible(k, -1, now)))) {
		cpu = scx_bpf_pick_idle_cpu(p->cpus_ptr, 0);
		c = cpu_state(cpu);
		if (c && (k == 0 || claim(k, cpu, now, &fresh))) {
			if (k != 0)
				c->holder_pid = p->pid;
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
	s32 d;

	if (!c)
		return;
	settle(c, cpu, k);
	c->category = k;
	c->since_ns = now;
	if (c->end_ns < now)
		c->end_ns = now + p->scx.slice;
	c->holder_pid = p->pid;
	c->busy = 1;
	if (k == 0)
		return;
	/* Started without an admission: it joined the scheduler while running, or was placed under
	 * another mode. Claim its category now if that is admissible, else end its slice at the next
	 * tick so that it goes through the queues. */
	if (ctl.mode != MODE_SHORTEST_QUEUE && !(holders[k] & cpu_bit(cpu))) {
		bool fresh = false;

		__sync_fetch_and_add(&stats.unadmitted[k], 1);
		if (!claim(k, cpu, now, &fresh))
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

void ISO_OPS(iso_stopping, struct task_struct *p, bool runnable)
{
	s32 cpu = scx_bpf_task_cpu(p);
	struct iso_cpu *c = cpu_state(cpu);
	u64 now = bpf_ktime_get_ns();
	u32 k;
	s32 d;

	if (!c || !c->busy)
		return;
	k = c->category & (CATEGORIES - 1);
	c->busy = 0;
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
	/* A task preempted by a higher class with slice left goes back to this CPU's local queue and
	 * resumes without a dispatch: the CPU keeps the claim. One that ended: the dispatch that chose
	 * the next task ran before this, and may have chosen the same category; the claim goes when a
	 * task of another category starts here, the CPU idles or a higher class takes it. */
	if ((!runnable || p->scx.slice == 0) && (holders[k] & cpu_bit(cpu)))
		c->releasing = k + 1;
}

void ISO_OPS(iso_update_idle, s32 cpu, bool idle)
{
	struct iso_cpu *c = cpu_state(cpu);

	if (c && idle)
		settle(c, cpu, CATEGORIES);
}

void ISO_OPS(iso_cpu_release, s32 cpu, struct scx_cpu_release_args *args)
{
	struct iso_cpu *c = cpu_state(cpu);

	if (c)
		settle(c, cpu, CATEGORIES);
}

void ISO_OPS(iso_dequeue, struct task_struct *p, u64 deq_flags)
{
	s32 cpu = scx_bpf_task_cpu(p);
	struct iso_cpu *c = cpu_state(cpu);
	u32 k = category_of(p);

	/* A task that leaves while its CPU holds the claim for it (it was waiting to resume). */
	if (c && k != 0 && !c->busy && c->holder_pid == p->pid)
		release(k, cpu);
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
		k = c->category & (CATEGORIES - 1);
		c->busy = 0;
		__sync_fetch_and_add(&observed.run_ns[k], now - c->since_ns);
		bpf_for(d, 0, nr_cpus()) {
			struct iso_seen *o = &seen[d & (MAX_CPUS - 1)];
			u64 from;

			if (d == cpu || !o->busy || o->category != k)
				continue;
			from = o->since_ns > c->since_ns ? o->since_ns : c->since_ns;
			if (now > from)
				__sync_fetch_and_add(&observed.corun_ns[k], now - from);
		}
	}
	k = category_of(next);
	if (k == 0)
		return 0;
	bpf_for(d, 0, nr_cpus()) {
		struct iso_seen *o = &seen[d & (MAX_CPUS - 1)];

		if (d != cpu && o->busy && o->category == k) {
			__sync_fetch_and_add(&observed.corun_events[k], 1);
			break;
		}
	}
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
	.dequeue = (void *)iso_dequeue,
	.dispatch = (void *)iso_dispatch,
	.running = (void *)iso_running,
	.stopping = (void *)iso_stopping,
	.update_idle = (void *)iso_update_idle,
	.cpu_release = (void *)iso_cpu_release,
	.init = (void *)iso_init,
	.exit = (void *)iso_exit,
	.flags = SCX_OPS_SWITCH_PARTIAL | SCX_OPS_KEEP_BUILTIN_IDLE,
	.timeout_ms = 10000,
	.name = "isochron",
};
