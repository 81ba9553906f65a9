package io.isochron.bridge.kvm.reservation;

import java.util.Optional;

/**
 * The kernel's SCHED_DEADLINE admission test (Documentation/scheduler/sched-deadline.rst, section 5),
 * done before asking the kernel so a refusal can name the numbers: in a root domain of n CPUs the
 * bandwidths of all deadline entities, plus the new one, must not exceed n × rt_runtime/rt_period.
 * A thread that already has a reservation in the domain gives its old bandwidth back first. Pure
 * logic on the fixed-point values the kernel uses.
 */
public final class AdmissionRule {
    private AdmissionRule() {
    }

    /** n × rt_runtime/rt_period in the kernel's fixed point, or Long.MAX_VALUE when unlimited. */
    public static long capacity(RtLimit limit, int cpus) {
        return limit.unlimited() ? Long.MAX_VALUE : limit.perCpu() * cpus;
    }

    /**
     * @return empty if the kernel would admit {@code spec} for thread {@code tid} in {@code domain},
     *     else the one-line refusal
     */
    public static Optional<String> check(ReservationSpec spec, int tid, RootDomain domain, RtLimit limit) {
        RootDomain others = domain.without(tid);
        int n = domain.cpus().cardinality();
        long capacity = capacity(limit, n);
        long held = others.held();
        long wanted = spec.bandwidth();
        if (limit.unlimited() || held + wanted <= capacity) {
            return Optional.empty();
        }
        return Optional.of("reservation " + spec.describe() + " for " + spec.label() + " refused: root domain CPUs "
                + Bandwidth.cpuList(domain.cpus()) + " already holds " + Bandwidth.format(held) + " of "
                + Bandwidth.format(capacity) + " (" + n + (n == 1 ? " CPU" : " CPUs") + " × " + limit.runtimeMicros()
                + "/" + limit.periodMicros() + " µs; " + Bandwidth.format(others.serverBandwidth())
                + " by the kernel's deadline servers, " + Bandwidth.format(held - others.serverBandwidth()) + " by "
                + others.threads().size() + " deadline thread" + (others.threads().size() == 1 ? "" : "s")
                + (others.threads().isEmpty() ? "" : " " + RootDomain.sortedThreads(others)) + ")");
    }
}
