package io.isochron.bridge.kvm.reservation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.isochron.bridge.kvm.host.Errno;
import io.isochron.bridge.kvm.host.Kernel;
import io.isochron.bridge.kvm.host.NativeException;
import io.isochron.bridge.kvm.host.ProcFs;
import io.isochron.bridge.kvm.host.SchedAttributes;
import io.isochron.bridge.kvm.host.SchedFlag;
import io.isochron.bridge.kvm.host.SchedPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import io.isochron.bridge.kvm.qmp.QmpClient;
import io.isochron.bridge.kvm.qmp.VcpuThread;
import io.isochron.bridge.kvm.testing.Qemu;
import io.isochron.bridge.kvm.testing.RecordingListener;
import java.time.Duration;
import java.util.List;

/**
 * On real threads of this JVM, as root: our admission verdict against the kernel's (both ways, at the
 * exact fixed-point boundary), the sched_getattr read-back, and a cgroup v1 partition of one CPU with
 * the machine's cpuset state compared before and after.
 */
class ReserverTest {
    private static final long MS = 1_000_000L;
    private static final Path CGROUP = Path.of("/sys/fs/cgroup");

    private final Kernel kernel = Kernel.load();
    private final ProcFs proc = new ProcFs();
    private final int pid = (int) ProcessHandle.current().pid();
    private final BitSet online = HostFacts.onlineCpus();
    private Optional<Cpusets> cpusets;
    private HostFacts facts;
    private Reserver reserver;

    @BeforeEach
    void setUp() throws Exception {
        assumeThat(Files.readString(Path.of("/proc/self/status"))).as("runs as root").containsPattern("Uid:\\s+0\\s");
        cpusets = Cpusets.detect(new CgroupFs(), CGROUP, online);
        facts = new HostFacts(kernel, proc, cpusets, online);
        reserver = new Reserver(kernel, facts, cpusets);
    }

    @AfterEach
    void tearDown() throws Exception {
        reserver.close();
        settle();
    }

    /** A deadline thread's bandwidth is released at its 0-lag time, up to a period after it leaves. */
    private static void settle() throws InterruptedException {
        Thread.sleep(60);
    }

    private static ReservationSpec spec(String text) {
        return ReservationSpec.parse(text);
    }

    private void other(int tid) throws NativeException {
        kernel.setAttributes(tid, SchedAttributes.other(0));
    }

    @Test
    void verdictMatchesTheKernelAtTheBoundaryBothWays() throws Exception {
        try (TestThread a = new TestThread(kernel, "iso-adm-a"); TestThread b = new TestThread(kernel, "iso-adm-b")) {
            ReservationSpec big = spec("t/vcpu0=9ms/10ms");
            assertThat(reserver.admit(big, a.tid())).isEmpty();
            kernel.setAttributes(a.tid(), Reserver.attributes(big));
            try {
                HostFacts.Snapshot s = facts.snapshot();
                RootDomain d = s.domainOf(online.nextSetBit(0)).orElseThrow();
                assertThat(d.threads()).containsKey(a.tid());
                long left = AdmissionRule.capacity(s.limit(), d.cpus().cardinality()) - d.held();
                long period = 10 * MS;
                long runtime = maxRuntime(left, period);
                assumeThat(runtime).as("room for a second reservation of at most one period").isBetween(1_024L, period);

                // exactly what is left: we admit, and so does the kernel
                ReservationSpec fits = spec("t/vcpu1=" + runtime + "ns/10ms");
                assertThat(reserver.admit(fits, b.tid())).isEmpty();
                kernel.setAttributes(b.tid(), Reserver.attributes(fits));
                assertThat(kernel.attributes(b.tid())).isEqualTo(Reserver.attributes(fits));
                other(b.tid());
                settle();

                // one nanosecond more: we refuse with the numbers, and the kernel says EBUSY
                ReservationSpec over = spec("t/vcpu1=" + (runtime + 1) + "ns/10ms");
                assertThat(reserver.admit(over, b.tid())).hasValueSatisfying(line -> assertThat(line)
                        .startsWith("reservation " + Bandwidth.millis(runtime + 1) + "/10.000 ms")
                        .contains("for t/vcpu1 refused: root domain CPUs " + Bandwidth.cpuList(d.cpus())
                                + " already holds " + Bandwidth.format(d.held()))
                        .contains(" × " + s.limit().runtimeMicros() + "/" + s.limit().periodMicros() + " µs")
                        .contains("1 deadline thread [" + a.tid() + "]"));
                assertThatThrownBy(() -> kernel.setAttributes(b.tid(), Reserver.attributes(over)))
                        .isInstanceOfSatisfying(NativeException.class, e -> assertThat(e.error()).isEqualTo(Errno.EBUSY));
                assertThat(kernel.attributes(b.tid()).policy()).isEqualTo(SchedPolicy.OTHER);
            } finally {
                other(a.tid());
            }
        }
    }

    @Test
    void reservationIsReadBackAndReleased() throws Exception {
        try (TestThread t = new TestThread(kernel, "iso-rsv")) {
            ReservationSpec s = spec("t/vcpu0=1ms/10ms,deadline=5ms,reclaim");
            Reservation r = reserver.reserve(s, t.tid());
            assertThat(r.mismatch()).isEmpty();
            assertThat(kernel.attributes(t.tid()))
                    .isEqualTo(SchedAttributes.deadline(MS, 5 * MS, 10 * MS, SchedFlag.RECLAIM))
                    .isEqualTo(r.readBack());
            assertThat(r.partition()).isNull();
            assertThat(facts.snapshot().domainOf(r.cpus().nextSetBit(0)).orElseThrow().threads())
                    .containsEntry(t.tid(), Bandwidth.ratio(10 * MS, MS));
            assertThat(reserver.release(r)).isEmpty();
            assertThat(kernel.attributes(t.tid()).policy()).isEqualTo(SchedPolicy.OTHER);
        }
    }

    @Test
    void refusalBeforeTheKernelLeavesTheThreadAsItWas() throws Exception {
        try (TestThread a = new TestThread(kernel, "iso-ref-a"); TestThread b = new TestThread(kernel, "iso-ref-b")) {
            Reservation held = reserver.reserve(spec("t/vcpu0=9ms/10ms"), a.tid());
            BitSet before = kernel.affinity(b.tid());
            assertThatThrownBy(() -> reserver.reserve(spec("t/vcpu1=9.5ms/10ms"), b.tid()))
                    .isInstanceOf(ReservationException.class)
                    .hasMessageStartingWith("reservation 9.500/10.000 ms (bandwidth 0.950) for t/vcpu1 refused: "
                            + "root domain CPUs " + Bandwidth.cpuList(online) + " already holds")
                    .hasMessageNotContaining("\n");
            assertThat(kernel.attributes(b.tid()).policy()).isEqualTo(SchedPolicy.OTHER);
            assertThat(kernel.affinity(b.tid())).isEqualTo(before);
            reserver.release(held);
        }
    }

    @Test
    void aVanishedThreadIsOneLineNotACrash() throws Exception {
        int gone;
        try (TestThread t = new TestThread(kernel, "iso-gone")) {
            gone = t.tid();
        }
        Thread.sleep(20);
        assumeThat(Files.exists(Path.of("/proc", Integer.toString(gone)))).isFalse();
        assertThatThrownBy(() -> reserver.reserve(spec("t/vcpu0=1ms/10ms"), gone))
                .isInstanceOf(ReservationException.class)
                .hasMessageContaining("for t/vcpu0 (thread " + gone + ") not tried: sched_getaffinity(")
                .hasMessageContaining("ESRCH");
    }

    @Test
    void pinnedReservationInACgroupV1PartitionRestoresTheHost() throws Exception {
        assumeThat(cpusets).as("cgroup v1 cpuset hierarchy").hasValueSatisfying(c -> assertThat(c).isInstanceOf(CgroupV1.class));
        assumeThat(online.cardinality()).as("at least two CPUs").isGreaterThanOrEqualTo(2);
        int cpu = online.length() - 1;
        Path root = cpusets.get().root();
        Map<String, String> before = cpusetState(root);
        try (TestThread t = new TestThread(kernel, "iso-part-a"); TestThread u = new TestThread(kernel, "iso-part-b")) {
            BitSet affinityBefore = kernel.affinity(t.tid());
            Reservation r = reserver.reserve(spec("t/vcpu0=2ms/10ms@" + cpu), t.tid());
            assertThat(r.mismatch()).isEmpty();
            assertThat(r.partition()).isEqualTo(root.resolve("isochron-cpus-" + cpu));
            assertThat(Files.readString(r.partition().resolve("tasks"))).contains(Integer.toString(t.tid()));
            assertThat(proc.cpusAllowed(pid, t.tid())).contains(only(cpu));
            assertThat(kernel.attributes(t.tid())).isEqualTo(SchedAttributes.deadline(2 * MS, 10 * MS, 10 * MS));
            Thread.sleep(30);
            assertThat(processor(t.tid())).isEqualTo(cpu);

            HostFacts.Snapshot s = facts.snapshot();
            RootDomain part = s.domainOf(cpu).orElseThrow();
            assertThat(part.cpus()).isEqualTo(only(cpu));
            assertThat(part.threads()).containsOnlyKeys(t.tid());

            // inside the one-CPU domain: our verdict and the kernel's agree both ways
            long left = AdmissionRule.capacity(s.limit(), 1) - part.held();
            long runtime = maxRuntime(left, 10 * MS);
            ReservationSpec over = spec("t/vcpu1=" + (runtime + 1) + "ns/10ms@" + cpu);
            ReservationSpec fits = spec("t/vcpu1=" + runtime + "ns/10ms@" + cpu);
            assertThat(reserver.admit(over, u.tid())).hasValueSatisfying(line -> assertThat(line)
                    .contains("refused: root domain CPUs " + cpu + " already holds " + Bandwidth.format(part.held())
                            + " of " + Bandwidth.format(AdmissionRule.capacity(s.limit(), 1)) + " (1 CPU × "));
            assertThat(reserver.admit(fits, u.tid())).isEmpty();
            cpusets.get().move(r.partition(), u.tid());
            Thread.sleep(20); // until it has woken on the partition's CPU: the kernel checks that CPU's root domain
            try {
                assertThatThrownBy(() -> kernel.setAttributes(u.tid(), Reserver.attributes(over)))
                        .isInstanceOfSatisfying(NativeException.class, e -> assertThat(e.error()).isEqualTo(Errno.EBUSY));
                kernel.setAttributes(u.tid(), Reserver.attributes(fits));
                assertThat(kernel.attributes(u.tid())).isEqualTo(Reserver.attributes(fits));
            } finally {
                other(u.tid());
                cpusets.get().moveBack(u.tid());
            }

            assertThat(reserver.release(r)).isEmpty();
            assertThat(kernel.attributes(t.tid()).policy()).isEqualTo(SchedPolicy.OTHER);
            assertThat(kernel.affinity(t.tid())).isEqualTo(affinityBefore);
            assertThat(r.partition()).doesNotExist();
        } finally {
            reserver.close();
        }
        assertThat(cpusetState(root)).isEqualTo(before);
    }

    @Test
    void leftoversOfAKilledRunAreReusedAndRemoved() throws Exception {
        assumeThat(cpusets).as("cgroup v1 cpuset hierarchy").hasValueSatisfying(c -> assertThat(c).isInstanceOf(CgroupV1.class));
        int cpu = online.length() - 1;
        Path root = cpusets.get().root();
        Map<String, String> before = cpusetState(root);
        Cpusets killed = Cpusets.detect(new CgroupFs(), CGROUP, online).orElseThrow();
        Cpusets next = Cpusets.detect(new CgroupFs(), CGROUP, online).orElseThrow();
        try {
            Path dir = killed.partition(only(cpu)); // and then the process "dies" without removing it
            assertThat(next.partition(only(cpu))).isEqualTo(dir);
            assertThat(next.rootDomains()).contains(only(cpu));
        } finally {
            next.removeAll();
        }
        assertThat(cpusetState(root)).isEqualTo(before);
    }

    @Test
    void aRealQemuVcpuRunsWithinItsPinnedReservation(@TempDir Path dir) throws Exception {
        assumeThat(cpusets).as("cgroup v1 cpuset hierarchy").hasValueSatisfying(c -> assertThat(c).isInstanceOf(CgroupV1.class));
        int cpu = online.length() - 1;
        Map<String, String> before = cpusetState(cpusets.get().root());
        try (Qemu qemu = Qemu.start(dir);
                QmpClient qmp = QmpClient.connect(qemu.qmpSocket(), Duration.ofSeconds(20), new RecordingListener())) {
            List<VcpuThread> vcpus = qmp.queryCpusFast();
            int tid = vcpus.get(0).threadId();
            // A running guest, as the bridge finds it: a paused vCPU sleeps on its old CPU's run queue, and
            // the kernel refuses the reservation until it has run on the partition's CPU.
            qmp.execute("cont");
            Reservation r = reserver.reserve(spec("t/vcpu0=2ms/10ms@" + cpu), tid);
            assertThat(r.mismatch()).isEmpty();
            assertThat(kernel.attributes(tid)).isEqualTo(SchedAttributes.deadline(2 * MS, 10 * MS, 10 * MS));
            assertThat(proc.cpusAllowed(qemu.pid(), tid)).contains(only(cpu));

            long start = proc.schedStat(qemu.pid(), tid).orElseThrow().runNanos();
            long t0 = System.nanoTime();
            Thread.sleep(1000);
            long ran = proc.schedStat(qemu.pid(), tid).orElseThrow().runNanos() - start;
            long wall = System.nanoTime() - t0;
            // 2 ms every 10 ms: at most a fifth of the time, plus one period of slack
            assertThat(ran).as("vCPU 0 CPU time over %d ms", wall / MS).isLessThanOrEqualTo(wall / 5 + 10 * MS)
                    .as("the vCPU spins (Qemu's firmware), so the reservation's share is used").isGreaterThan(wall / 20);
            assertThat(reserver.release(r)).isEmpty();
            assertThat(proc.cpusAllowed(qemu.pid(), tid)).contains(online);
        } finally {
            reserver.close();
        }
        assertThat(cpusetState(cpusets.get().root())).isEqualTo(before);
    }

    /** The largest runtime whose fixed-point bandwidth for {@code period} is at most {@code left}. */
    private static long maxRuntime(long left, long period) {
        long runtime = left * period / Bandwidth.ONE;
        while (Bandwidth.ratio(period, runtime + 1) <= left) {
            runtime++;
        }
        while (Bandwidth.ratio(period, runtime) > left) {
            runtime--;
        }
        return runtime;
    }

    private static BitSet only(int cpu) {
        BitSet b = new BitSet();
        b.set(cpu);
        return b;
    }

    /** The CPU the thread last ran on (field 39 of its stat). */
    private int processor(int tid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Integer.toString(pid), "task", Integer.toString(tid), "stat"));
        return Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 1).strip().split("\\s+")[36]);
    }

    /** Every cpuset with its CPUs, exclusivity and load balancing. */
    private static Map<String, String> cpusetState(Path root) throws IOException {
        Map<String, String> state = new TreeMap<>();
        try (Stream<Path> dirs = Files.walk(root)) {
            for (Path d : dirs.filter(Files::isDirectory).toList()) {
                state.put(root.relativize(d).toString(), String.join(" ",
                        HostFacts.read(d.resolve("cpuset.cpus")), HostFacts.read(d.resolve("cpuset.cpu_exclusive")),
                        HostFacts.read(d.resolve("cpuset.sched_load_balance"))));
            }
        }
        return state;
    }
}
