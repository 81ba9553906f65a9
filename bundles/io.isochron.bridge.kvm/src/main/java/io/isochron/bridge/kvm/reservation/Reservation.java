package io.isochron.bridge.kvm.reservation;

import io.isochron.bridge.kvm.host.SchedAttributes;
import java.nio.file.Path;
import java.util.BitSet;

/**
 * A reservation in force: the spec, the thread, the root domain's CPUs it runs on, its partition
 * cgroup (null when it stayed in its root domain), what sched_getattr read back, and a mismatch
 * between asked and read back (empty when they agree).
 */
public record Reservation(ReservationSpec spec, int tid, BitSet cpus, Path partition, SchedAttributes readBack,
        String mismatch) {
    public Reservation {
        cpus = (BitSet) cpus.clone();
    }

    @Override
    public BitSet cpus() {
        return (BitSet) cpus.clone();
    }

    /** e.g. {@code SCHED_DEADLINE 2.000/10.000 ms (bandwidth 0.200) on CPUs 1 (partition ...)}. */
    public String describe() {
        return "SCHED_DEADLINE " + spec.describe() + " on CPUs " + Bandwidth.cpuList(cpus)
                + (partition == null ? "" : " (cpuset " + partition + ")") + (mismatch.isEmpty() ? "" : "; " + mismatch);
    }
}
