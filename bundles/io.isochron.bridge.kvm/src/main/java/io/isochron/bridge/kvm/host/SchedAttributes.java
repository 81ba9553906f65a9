package io.isochron.bridge.kvm.host;

import java.util.Objects;
import java.util.Set;

/**
 * A thread's scheduling policy and parameters as {@code struct sched_attr} carries them. Only the
 * fields of the policy matter: {@code nice} for OTHER/BATCH, {@code priority} for FIFO/RR, runtime,
 * deadline and period (nanoseconds) for DEADLINE; the others are 0, as sched_getattr reports them.
 * One exception: since Linux 6.12 a fair (OTHER/BATCH) thread's {@code runtimeNanos} is its EEVDF
 * slice; 0 asks for the default, and sched_getattr reports the slice in effect.
 * Values are not checked here: the kernel is the authority and says EINVAL.
 */
public record SchedAttributes(SchedPolicy policy, int nice, int priority, long runtimeNanos,
        long deadlineNanos, long periodNanos, Set<SchedFlag> flags) {

    public SchedAttributes {
        Objects.requireNonNull(policy, "policy");
        flags = Set.copyOf(flags);
    }

    public static SchedAttributes other(int nice, SchedFlag... flags) {
        return new SchedAttributes(SchedPolicy.OTHER, nice, 0, 0, 0, 0, Set.of(flags));
    }

    public static SchedAttributes fifo(int priority, SchedFlag... flags) {
        return new SchedAttributes(SchedPolicy.FIFO, 0, priority, 0, 0, 0, Set.of(flags));
    }

    public static SchedAttributes roundRobin(int priority, SchedFlag... flags) {
        return new SchedAttributes(SchedPolicy.RR, 0, priority, 0, 0, 0, Set.of(flags));
    }

    /** A reservation of {@code runtime} every {@code period}, to be used within {@code deadline}. */
    public static SchedAttributes deadline(long runtimeNanos, long deadlineNanos, long periodNanos,
            SchedFlag... flags) {
        return new SchedAttributes(SchedPolicy.DEADLINE, 0, 0, runtimeNanos, deadlineNanos, periodNanos,
                Set.of(flags));
    }
}
