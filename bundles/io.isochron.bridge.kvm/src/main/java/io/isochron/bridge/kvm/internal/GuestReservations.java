package io.isochron.bridge.kvm.internal;

import io.isochron.bridge.kvm.host.Kernel;
import io.isochron.bridge.kvm.host.ProcFs;
import io.isochron.bridge.kvm.reservation.CgroupException;
import io.isochron.bridge.kvm.reservation.CgroupFs;
import io.isochron.bridge.kvm.reservation.Cpusets;
import io.isochron.bridge.kvm.reservation.HostFacts;
import io.isochron.bridge.kvm.reservation.Reservation;
import io.isochron.bridge.kvm.reservation.ReservationException;
import io.isochron.bridge.kvm.reservation.ReservationSpec;
import io.isochron.bridge.kvm.reservation.Reserver;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The configured SCHED_DEADLINE reservations of the guests' vCPUs: applied when a guest is found,
 * ended when it goes. Made only when reservations are configured, so nothing on the host changes
 * otherwise.
 */
final class GuestReservations implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(KvmHypervisor.PID);

    private final List<ReservationSpec> specs;
    private final Reserver reserver;

    private GuestReservations(List<ReservationSpec> specs, Reserver reserver) {
        this.specs = specs;
        this.reserver = reserver;
    }

    static Optional<GuestReservations> of(List<ReservationSpec> specs, Kernel kernel, ProcFs proc, BitSet online) {
        if (specs.isEmpty()) {
            return Optional.empty();
        }
        Optional<Cpusets> cpusets = Cpusets.detect(new CgroupFs(), Path.of("/sys/fs/cgroup"), online);
        LOG.log(Level.INFO, "KVM bridge: " + specs.size() + " vCPU reservation(s) configured; "
                + cpusets.map(Cpusets::kind).orElse("no cpuset hierarchy (pinned reservations unavailable)"));
        return Optional.of(new GuestReservations(specs,
                new Reserver(kernel, new HostFacts(kernel, proc, cpusets, online), cpusets)));
    }

    /**
     * Applies the reservations of guest {@code vm}'s vCPUs. A refusal (admission, cpuset or kernel) is
     * logged once, kept for Health and the shell, and leaves the vCPU an ordinary thread that the
     * placement decisions pin as usual.
     */
    void reserve(Vm vm) {
        for (ReservationSpec spec : specs) {
            if (!spec.vm().equals(vm.name)) {
                continue;
            }
            int index = -1;
            for (int i = 0; i < vm.vcpus.size(); i++) {
                if (vm.vcpus.get(i).cpuIndex() == spec.vcpu()) {
                    index = i;
                }
            }
            if (index < 0) {
                String why = "reservation for " + spec.label() + " not applied: guest " + vm.name + " has vCPUs "
                        + vm.vcpus.stream().map(v -> Integer.toString(v.cpuIndex())).collect(Collectors.joining(","));
                vm.reservationProblems.put(-1 - spec.vcpu(), why);
                LOG.log(Level.WARNING, "KVM bridge: " + why);
                continue;
            }
            int tid = vm.vcpus.get(index).threadId();
            try {
                Reservation r = reserver.reserve(spec, tid);
                vm.reservations.put(index, r);
                if (!r.mismatch().isEmpty()) {
                    vm.reservationProblems.put(index, spec.label() + " (thread " + tid + "): " + r.mismatch());
                }
                LOG.log(r.mismatch().isEmpty() ? Level.INFO : Level.WARNING,
                        "KVM bridge: " + spec.label() + " (thread " + tid + ") reserved: " + r.describe());
            } catch (ReservationException e) {
                vm.reservationProblems.put(index, e.getMessage());
                LOG.log(Level.WARNING, "KVM bridge: " + e.getMessage() + "; the vCPU stays an ordinary thread");
            }
        }
    }

    /** Ends the guest's reservations (its threads are usually gone already) and drops empty partitions. */
    void release(Vm vm) {
        for (Reservation r : vm.reservations.values()) {
            reserver.release(r).ifPresent(p -> LOG.log(Level.WARNING, "KVM bridge: " + p));
        }
        vm.reservations.clear();
    }

    /** Removes the cpuset partitions this run created. */
    @Override
    public void close() {
        try {
            reserver.close();
        } catch (CgroupException e) {
            LOG.log(Level.WARNING, "KVM bridge: removing the cpuset partitions failed: " + e.getMessage());
        }
    }
}
