package io.isochron.bridge.kvm.internal;

import io.isochron.bridge.kvm.schedext.EnforcementMode;
import io.isochron.bridge.kvm.schedext.SchedExtEnforcer;
import static org.assertj.core.api.Assertions.assertThat;

import io.isochron.api.IoCategory;
import io.isochron.api.runtime.SchedulerSink;
import io.isochron.api.scheduling.RunQueueSummary;
import io.isochron.bridge.kvm.host.Kernel;
import io.isochron.bridge.kvm.host.ProcFs;
import io.isochron.bridge.kvm.host.SchedAttributes;
import io.isochron.bridge.kvm.qmp.VcpuThread;
import io.isochron.bridge.kvm.reservation.Reservation;
import io.isochron.bridge.kvm.reservation.ReservationSpec;
import io.isochron.bridge.kvm.reservation.TestThread;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A reserved vCPU on real threads of this JVM: the bridge's decisions pin the other vCPU but never
 * the reserved one, the shell line shows the reservation, and a refused reservation is the bridge's
 * problem (Health).
 */
class KvmBridgeReservationTest {
    private final Kernel kernel = Kernel.load();
    private final int pid = (int) ProcessHandle.current().pid();

    /** Every ready vCPU queues on pCPU 0 and all of them start there (the bridge only applies). */
    private static final class AllOnZero implements SchedulerSink {
        KvmBridge bridge;
        final List<Integer> ready = new ArrayList<>();
        int registered;

        @Override
        public int registerVcpu(String vm, int index) {
            return registered++;
        }

        @Override
        public void ready(int vcpuId, RunQueueSummary summary, long now, long release, long period, long deadline) {
            ready.add(vcpuId);
            bridge.queued(0, vcpuId, IoCategory.NONE);
        }

        @Override
        public void finished(int pcpu, long now) {
        }

        @Override
        public void dispatch(long now) {
            ready.forEach(v -> bridge.start(0, v));
            ready.clear();
        }
    }

    @Test
    void reservedVcpuIsNeitherPinnedNorHiddenAndARefusalIsTheProblem() throws Exception {
        try (TestThread t0 = new TestThread(kernel, "iso-bridge-vcpu0");
                TestThread t1 = new TestThread(kernel, "iso-bridge-vcpu1")) {
            int[] tids = {t0.tid(), t1.tid()};
            BitSet all = kernel.affinity(tids[0]);
            int last = all.length() - 1;
            Vm vm = new Vm("plc1", Path.of("/nonexistent.qmp"), pid,
                    List.of(new VcpuThread(0, tids[0], "/vcpu0"), new VcpuThread(1, tids[1], "/vcpu1")), null, null,
                    () -> null);
            ReservationSpec spec = ReservationSpec.parse("plc1/vcpu0=2ms/10ms");
            // the bridge only reads which vCPUs are reserved; the kernel call itself is ReserverTest's subject
            vm.reservations.put(0, new Reservation(spec, tids[0], all, null,
                    SchedAttributes.deadline(2_000_000, 10_000_000, 10_000_000), ""));
            KvmBridge bridge = new KvmBridge(List.of(vm), new int[] {last}, TimeUnit.HOURS.toNanos(1), true, kernel,
                    new ProcFs(), new SchedExtEnforcer(EnforcementMode.AFFINITY, Path.of("/nonexistent"),
                            Path.of("/nonexistent")));
            AllOnZero sink = new AllOnZero();
            sink.bridge = bridge;
            bridge.attach(sink);
            try {
                Thread.sleep(20); // both threads use some CPU, so both are ready
                bridge.tick(System.nanoTime());
                BitSet pinned = new BitSet();
                pinned.set(last);
                assertThat(kernel.affinity(tids[1])).as("the ordinary vCPU is pinned").isEqualTo(pinned);
                assertThat(kernel.affinity(tids[0])).as("the reserved vCPU is left alone").isEqualTo(all);
                assertThat(bridge.describe(vm, 0)).contains("reserved SCHED_DEADLINE 2.000/10.000 ms (bandwidth 0.200)")
                        .doesNotContain("affinity");
                assertThat(bridge.describe(vm, 1)).contains("affinity {" + last + "}");
                assertThat(bridge.problem()).isEmpty();

                vm.reservationProblems.put(1, "reservation 9.000/10.000 ms (bandwidth 0.900) for plc1/vcpu1 refused: "
                        + "root domain CPUs 0-1 already holds 1.100 of 1.900");
                assertThat(bridge.problem()).isEqualTo("reservation 9.000/10.000 ms (bandwidth 0.900) for plc1/vcpu1 "
                        + "refused: root domain CPUs 0-1 already holds 1.100 of 1.900");
                assertThat(bridge.describe(vm, 1)).contains("affinity {" + last + "}").contains("refused");
            } finally {
                bridge.detach(sink);
            }
        }
    }
}
