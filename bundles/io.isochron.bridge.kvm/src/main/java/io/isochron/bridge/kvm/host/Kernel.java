package io.isochron.bridge.kvm.host;

import java.util.BitSet;

/**
 * The scheduler system calls the bridge applies to QEMU's threads, by kernel thread id. Thread id 0
 * would mean "the calling thread" to the kernel, so ids must be positive: a forgotten id must not
 * silently re-schedule the caller.
 */
public final class Kernel {
    private static final Kernel INSTANCE = new Kernel();

    private Kernel() {
    }

    /**
     * The kernel calls, with the native library loaded.
     *
     * @throws UnsatisfiedLinkError if libisochron-native.so cannot be loaded
     */
    public static Kernel load() {
        NativeCalls.ensureLoaded();
        return INSTANCE;
    }

    /** The calling thread's kernel thread id (gettid). */
    public int currentThreadId() {
        return NativeCalls.gettid();
    }

    /** CLOCK_MONOTONIC now, in nanoseconds. */
    public long monotonicNanos() {
        return NativeCalls.monotonicNanos();
    }

    /** Restricts thread {@code tid} to the CPUs set in {@code cpus} (sched_setaffinity). */
    public void setAffinity(int tid, BitSet cpus) throws NativeException {
        NativeCalls.setAffinity(checkTid(tid), cpus.toLongArray());
    }

    /** The CPUs thread {@code tid} may run on (sched_getaffinity). */
    public BitSet affinity(int tid) throws NativeException {
        return BitSet.valueOf(NativeCalls.getAffinity(checkTid(tid)));
    }

    /** Sets policy and parameters of thread {@code tid} (sched_setattr). */
    public void setAttributes(int tid, SchedAttributes a) throws NativeException {
        NativeCalls.setAttributes(checkTid(tid), a.policy().code(), SchedFlag.toBits(a.flags()), a.nice(),
                a.priority(), a.runtimeNanos(), a.deadlineNanos(), a.periodNanos());
    }

    /** The policy and parameters the kernel holds for thread {@code tid} (sched_getattr). */
    public SchedAttributes attributes(int tid) throws NativeException {
        long[] v = NativeCalls.getAttributes(checkTid(tid));
        return new SchedAttributes(SchedPolicy.of((int) v[0]), (int) v[2], (int) v[3], v[4], v[5], v[6],
                SchedFlag.fromBits(v[1]));
    }

    private static int checkTid(int tid) {
        if (tid <= 0) {
            throw new IllegalArgumentException("thread id must be positive: " + tid);
        }
        return tid;
    }
}
