package io.isochron.bridge.kvm.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isochron.api.IoCategory;
import io.isochron.api.runtime.Enforcement;
import io.isochron.api.runtime.SchedulerSink;
import io.isochron.api.scheduling.RunQueueSummary;
import io.isochron.bridge.kvm.host.Kernel;
import io.isochron.bridge.kvm.host.ProcFs;
import io.isochron.bridge.kvm.host.SchedAttributes;
import io.isochron.bridge.kvm.qmp.VcpuThread;
import io.isochron.bridge.kvm.reservation.Reservation;
import io.isochron.bridge.kvm.reservation.ReservationSpec;
import io.isochron.bridge.kvm.reservation.TestThread;
import io.isochron.bridge.kvm.schedext.EnforcementMode;
import io.isochron.bridge.kvm.schedext.FakeSchedExtService;
import io.isochron.bridge.kvm.schedext.SchedExtEnforcer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bridge with the kernel scheduler's service in force (a stand-in for isochron-scx serve that
 * speaks its protocol; the real one is exercised on the firmware's kernel): categories go to the
 * kernel, threads are not pinned, and when the scheduler goes they are pinned again.
 */
class KvmBridgeSchedExtTest {
    private final Kernel kernel = Kernel.load();
    private final int pid = (int) ProcessHandle.current().pid();

    @TempDir
    Path dir;

    /** Every ready vCPU queues on pCPU 0 in the category the test gives it, and all start there. */
    private static final class Scripted implements SchedulerSink {
        KvmBridge bridge;
        final IoCategory[] category = {IoCategory.NONE, IoCategory.BUS, IoCategory.GPU};
        final AtomicInteger rounds = new AtomicInteger();
        private int registered;

        @Override
        public int registerVcpu(String vm, int index) {
            return registered++;
        }

        @Override
        public void ready(int vcpuId, RunQueueSummary summary, long now, long release, long period, long deadline) {
            bridge.queued(0, vcpuId, category[vcpuId]);
            bridge.start(0, vcpuId);
        }

        @Override
        public void finished(int pcpu, long now) {
        }

        @Override
        public void dispatch(long now) {
            rounds.incrementAndGet();
        }
    }

    @Test
    void categoriesGoToTheKernelUnpinnedAndAnEjectionPinsThemAgain() throws Exception {
        Path sock = dir.resolve("scx.sock");
        try (FakeSchedExtService service = new FakeSchedExtService(sock);
                SchedExtEnforcer schedExt = new SchedExtEnforcer(EnforcementMode.AUTO, sock,
                        Files.createDirectories(dir.resolve("sched_ext")), TimeUnit.HOURS.toNanos(1)).start();
                TestThread t0 = new TestThread(kernel, "iso-scx-vcpu0");
                TestThread t1 = new TestThread(kernel, "iso-scx-vcpu1");
                TestThread t2 = new TestThread(kernel, "iso-scx-vcpu2")) {
            BitSet all = kernel.affinity(t1.tid());
            int[] hostCpus = all.stream().toArray();
            Vm vm = new Vm("plc1", Path.of("/nonexistent.qmp"), pid, List.of(new VcpuThread(0, t0.tid(), "/vcpu0"),
                    new VcpuThread(1, t1.tid(), "/vcpu1"), new VcpuThread(2, t2.tid(), "/vcpu2")), null, null, () -> null);
            vm.reservations.put(0, new Reservation(ReservationSpec.parse("plc1/vcpu0=2ms/10ms"), t0.tid(), all, null,
                    SchedAttributes.deadline(2_000_000, 10_000_000, 10_000_000), ""));
            await().atMost(Duration.ofSeconds(10)).until(schedExt::inForce);
            KvmBridge bridge = new KvmBridge(List.of(vm), hostCpus, TimeUnit.HOURS.toNanos(1), true, kernel,
                    new ProcFs(), schedExt);
            Scripted sink = new Scripted();
            sink.bridge = bridge;
            kernel.setAffinity(t1.tid(), single(hostCpus[0])); // as affinity enforcement left it
            bridge.attach(sink);
            try {
                Thread.sleep(20); // the threads use some CPU, so they are ready
                bridge.tick(System.nanoTime());
                String t1Bus = "thread " + t1.tid() + " 5";
                String t2Gpu = "thread " + t2.tid() + " 1";
                await().atMost(Duration.ofSeconds(10)).until(() -> service.received.contains(t1Bus)
                        && service.received.contains(t2Gpu));
                assertThat(service.received).as("a reserved vCPU stays with its reservation")
                        .noneMatch(l -> l.startsWith("thread " + t0.tid() + " "));
                assertThat(kernel.affinity(t1.tid())).as("the kernel scheduler places it: unpinned").isEqualTo(all);
                assertThat(bridge.enforcement().backend()).isEqualTo(Enforcement.SCHED_EXT);
                assertThat(bridge.describe(vm, 1)).contains("BUS").contains("sched_ext category BUS");

                // A frame wakes the decision thread at once (the tick here is an hour).
                int before = sink.rounds.get();
                vm.frameListener.run();
                await().atMost(Duration.ofSeconds(10)).until(() -> sink.rounds.get() > before);
                assertThat(service.received.stream().filter(t1Bus::equals)).as("sent only when it changed").hasSize(1);

                service.send("ejected 1026 runnable task stall: iso-scx-vcpu1 failed to run for 15.1s");
                await().atMost(Duration.ofSeconds(10)).until(() -> !schedExt.inForce());
                bridge.tick(System.nanoTime());
                assertThat(kernel.affinity(t1.tid())).as("pinned again").isEqualTo(single(hostCpus[0]));
                assertThat(bridge.enforcement().backend()).isEqualTo(Enforcement.AFFINITY);
                assertThat(bridge.describe(vm, 1)).contains("affinity {" + hostCpus[0] + "}");
                assertThat(bridge.problem()).contains("the kernel ejected the scheduler: runnable task stall");
            } finally {
                bridge.detach(sink);
            }
        }
    }

    private static BitSet single(int cpu) {
        BitSet b = new BitSet();
        b.set(cpu);
        return b;
    }
}
