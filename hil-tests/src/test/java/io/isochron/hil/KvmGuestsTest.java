package io.isochron.hil;

import static org.assertj.core.api.Assertions.assertThat;

import io.isochron.mqtt.transport.Mosquitto;
import io.isochron.mqtt.transport.SparkplugHost;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The appliance on the kvm profile, launched as a separate process, scheduling real QEMU guests
 * (image/guest: Debian kernel, busybox, the guest agent and a load generator): two STORAGE guests and
 * a RAM guest, later a guest that sends garbage on its channel. Checks discovery, classification,
 * the affinities the kernel reports for the vCPU threads under each policy, containment of garbage
 * and the removal of a killed guest — in OPC UA, Sparkplug and the shell as well.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KvmGuestsTest {
    private static final String GROUP = "hil";
    private static final String NODE = "hil-kvm";
    private static final int SAMPLES = 100;
    private static final long SAMPLE_MILLIS = 50;
    /** Fewest samples with both STORAGE vCPUs active that make the overlap-0 verdict. */
    private static final int MIN_SAMPLES = 30;

    private Path dir;

    private Mosquitto broker;
    private SparkplugHost host;
    private OpcUaProbe opcUa;
    private Appliance appliance;
    private Path image;
    private final List<Guest> guests = new ArrayList<>();
    private Guest g1;
    private Guest g2;
    private Guest g3;

    /*
     * STORAGE counts 1 GB/s as 100 % here (default 200 MB/s): a storage guest under TCG moves
     * 50-110 MB/s, so the two together stay well below 100 % and interference-aware may let them
     * co-run when the overlap allows it; at the default the sum hovers around 100 % and whether they
     * may co-run depends on the moment.
     */
    @BeforeAll
    void launch(@TempDir Path tempDir) throws Exception {
        dir = tempDir;
        image = Guest.build();
        Files.createDirectories(dir.resolve("vms"));
        broker = new Mosquitto(Files.createDirectories(dir.resolve("broker")));
        broker.start();
        host = new SparkplugHost(broker.uri(), GROUP);
        opcUa = new OpcUaProbe(dir);
        Path config = Files.createDirectories(dir.resolve("config"));
        Files.writeString(config.resolve("kvm.json"), """
                {
                  ":configurator:resource-version": 1,
                  ":configurator:symbolic-name": "hil.kvm",
                  ":configurator:version": "1.0.0",
                  "io.isochron.bridge.kvm": { "qmpDirectory": "%s",
                    "componentBytesPerSecond": ["1e9", "1e10", "5e10", "125000000", "11520", "1e9"] },
                  %s,
                  "io.isochron.mqtt": { "brokerUri": "%s", "groupId": "%s", "edgeNodeId": "%s" }
                }
                """.formatted(dir.resolve("vms"), opcUa.config(), broker.uri(), GROUP, NODE));
        appliance = Appliance.launch(dir, "--profile", "kvm", "--config", config.toString(), "--shell");
        appliance.awaitReady();
        opcUa.connect();
        g1 = boot("g1", 1, "storage");
        g2 = boot("g2", 2, "storage");
        g3 = boot("g3", 3, "ram");
    }

    private Guest boot(String name, int vmId, String load) throws IOException {
        Guest g = Guest.boot(image, dir, name, vmId, load);
        guests.add(g);
        return g;
    }

    @AfterAll
    void stop() throws Exception {
        for (Guest g : guests) {
            g.close();
        }
        if (opcUa != null) {
            opcUa.close();
        }
        if (appliance != null) {
            appliance.close();
        }
        if (host != null) {
            host.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    @Order(1)
    void findsEveryVcpuThreadAndClassifiesEachGuestByItsLoad() throws Exception {
        appliance.await(() -> opcUa.children("Isochron/VirtualMachines").equals(Set.of("g1", "g2", "g3")), 120,
                "g1, g2, g3 under VirtualMachines");
        appliance.await(() -> "STORAGE".equals(category("g1")) && "STORAGE".equals(category("g2"))
                && "RAM".equals(category("g3")), 90, "g1, g2 classified STORAGE and g3 RAM from their summaries; now "
                + category("g1") + ", " + category("g2") + ", " + category("g3") + "; consoles:\n" + g1.consoleLog());
        appliance.shell("isochron:guests");
        for (Guest g : List.of(g1, g2, g3)) {
            for (int tid : g.vcpuThreads()) {
                appliance.await(() -> appliance.output().contains("thread " + tid + "  "), 10,
                        "vCPU thread " + tid + " of " + g.name + " in isochron:guests");
            }
        }
        appliance.await(() -> host.of("DBIRTH").stream().map(r -> r.topic().substring(r.topic().lastIndexOf('/') + 1))
                .toList().containsAll(List.of("g1", "g2", "g3")), 10, "a Sparkplug device per guest");
        assertThat(opcUa.value("Isochron/Health")).as("Health NORMAL: every placement read back as applied")
                .isEqualTo(0);
    }

    /** The control-cycle latencies the guest agents report land per VM in the jitter monitor. */
    @Test
    @Order(2)
    void theGuestsControlCycleJitterIsMeasuredPerVm() throws Exception {
        appliance.await(() -> samples("g1") > 0 && samples("g3") > 0, 40,
                "guest jitter windows under VirtualMachines/<vm>/Jitter");
        double p99 = ((Number) opcUa.value("Isochron/VirtualMachines/g1/Jitter/P99")).doubleValue();
        double max = ((Number) opcUa.value("Isochron/VirtualMachines/g1/Jitter/Max")).doubleValue();
        System.out.printf("g1 control cycle (1 ms, under TCG): %d samples, p99 %.0f µs, max %.0f µs%n",
                samples("g1"), p99, max);
        // read one after the other, so they may come from two windows: only check each is a real latency
        assertThat(p99).as("p99 of g1's wake-up latency, µs").isPositive().isFinite();
        assertThat(max).as("max of g1's wake-up latency, µs").isPositive().isFinite();
    }

    private long samples(String vm) {
        Object v = opcUa.value("Isochron/VirtualMachines/" + vm + "/Jitter/Samples");
        return v instanceof Number n ? n.longValue() : 0;
    }

    /**
     * The figures for docs/benchmarks.md, measured on the running rig: the bridge's own CPU time
     * (its decision thread, channel readers, QMP threads) over 20 s with three guests, and the time
     * from a guest's frame arriving to the placement it led to being in force, as the shell reports it.
     */
    @Test
    @Order(3)
    void reportsTheBridgeCostAndTheFrameToPlacementLatency() throws Exception {
        long pid = appliance.process.pid();
        long before = bridgeTicks(pid);
        long start = System.nanoTime();
        Thread.sleep(20_000);
        double seconds = (System.nanoTime() - start) / 1e9;
        double percent = (bridgeTicks(pid) - before) / 100.0 / seconds * 100;
        System.out.printf("bridge CPU with 3 guests: %.2f %% of one core (%.2f %% per guest) over %.0f s%n",
                percent, percent / 3, seconds);
        Pattern latency = Pattern.compile("guest frame -> placement in force: p50 [0-9.]+ ms, p99 [0-9.]+ ms, max [0-9.]+ ms over [0-9]+ decisions");
        long earlier = latency.matcher(appliance.output()).results().count();
        appliance.shell("isochron:guests");
        appliance.await(() -> latency.matcher(appliance.output()).results().count() > earlier, 10,
                "the frame -> placement figure");
        String last = latency.matcher(appliance.output()).results().reduce((a, b) -> b).orElseThrow().group();
        System.out.println(last);
        assertThat(percent).as("bridge CPU measured").isGreaterThan(0);
    }

    /** utime + stime (clock ticks, 100/s) of the appliance threads that belong to the KVM bridge. */
    private static long bridgeTicks(long pid) throws IOException {
        long ticks = 0;
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path t : tasks.toList()) {
                try {
                    String comm = Files.readString(t.resolve("comm")).strip();
                    if (comm.startsWith("isochron-kvm") || comm.startsWith("isochron-chann") || comm.startsWith("qmp-")) {
                        String stat = Files.readString(t.resolve("stat"));
                        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                        ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
                    }
                } catch (IOException gone) {
                    // thread ended while listing
                }
            }
        }
        return ticks;
    }

    /**
     * Counted only while both vCPUs are STORAGE and active: a vCPU whose guest summary is late counts as
     * CPU-only (NONE), and an idle one keeps its last affinity — both may legitimately sit elsewhere, and
     * how often that happens depends on how loaded the machine is, not on the policy.
     */
    @Test
    @Order(4)
    void withOverlapZeroTheTwoStorageGuestsShareOneCore() throws Exception {
        Sample s = sample(true);
        System.out.printf("interference-aware, overlap 0: g1/g2 vCPUs on different cores in %d of %d samples "
                + "while both were active STORAGE%n", s.apart, s.taken);
        assertThat(s.taken).as("samples with both vCPUs active STORAGE").isGreaterThanOrEqualTo(MIN_SAMPLES);
        assertThat(s.singleCore).as("each STORAGE vCPU pinned to one core").isEqualTo(s.taken);
        // A sample may still catch a move half done (the bridge thread preempted between the two
        // threads' affinity calls), and the state read over OPC UA lags the scheduler; without the
        // constraint (the next two tests) about half of the samples are apart.
        assertThat(s.apart).as("STORAGE vCPUs confined together (samples apart of %d)", s.taken)
                .isLessThanOrEqualTo(s.taken / 10);
    }

    @Test
    @Order(5)
    void aLargerOverlapLetsTheCategorySpillOntoASecondCore() throws Exception {
        switchPolicy("interference-aware", 100);
        Sample s = sample(false);
        System.out.printf("interference-aware, overlap 100: g1/g2 vCPUs on different cores in %d of %d samples%n",
                s.apart, s.taken);
        assertThat(s.apart).as("STORAGE spilled onto a second core at least sometimes").isGreaterThanOrEqualTo(5);
    }

    @Test
    @Order(6)
    void switchingToShortestQueueChangesThePlacements() throws Exception {
        switchPolicy("shortest-queue", 0);
        Sample s = sample(false);
        System.out.printf("shortest-queue: g1/g2 vCPUs on different cores in %d of %d samples%n", s.apart, s.taken);
        assertThat(s.apart).as("shortest-queue ignores categories: the two STORAGE vCPUs run apart")
                .isGreaterThanOrEqualTo(SAMPLES / 4);
    }

    @Test
    @Order(7)
    void aGuestSendingGarbageIsContained() throws Exception {
        boot("g4", 4, "garbage");
        appliance.await(() -> opcUa.children("Isochron/VirtualMachines").contains("g4"), 120, "g4 discovered");
        Pattern rejected = Pattern.compile("(?m)^g4 .*\\n(?:  .*\\n)*?  channel .*rejected\\{[a-z]+=[1-9]");
        appliance.await(() -> {
            try {
                appliance.shell("isochron:guests");
                Thread.sleep(500);
                return rejected.matcher(appliance.output()).find();
            } catch (IOException | InterruptedException e) {
                throw new AssertionError(e);
            }
        }, 90, "g4's garbage counted as rejected frames");
        appliance.await(() -> "STORAGE".equals(category("g1")) && "RAM".equals(category("g3")), 10,
                "the other guests still classified");
        assertThat(appliance.process.isAlive()).isTrue();
        assertThat(appliance.output()).doesNotContain(" ERROR ").doesNotContain("Exception");
    }

    @Test
    @Order(8)
    void aKilledGuestIsRemovedCleanly() throws Exception {
        g2.kill();
        appliance.await(() -> !opcUa.children("Isochron/VirtualMachines").contains("g2"), 30, "g2 removed from OPC UA");
        appliance.await(() -> host.of("DDEATH").stream().anyMatch(r -> r.topic().endsWith("/g2")), 10, "DDEATH of g2");
        assertThat(opcUa.children("Isochron/VirtualMachines")).containsExactlyInAnyOrder("g1", "g3", "g4");
        assertThat(appliance.output()).contains("guest g2 is gone").doesNotContain(" ERROR ").doesNotContain("Exception");
    }

    private String category(String vm) {
        Object v = opcUa.children("Isochron/VirtualMachines").contains(vm)
                ? opcUa.value("Isochron/VirtualMachines/" + vm + "/Vcpu0/Category") : null;
        return v == null ? null : v.toString();
    }

    private void switchPolicy(String policy, double overlap) throws Exception {
        appliance.shell("isochron:policy " + policy + " " + overlap);
        appliance.await(() -> policy.equals(opcUa.value("Isochron/Scheduler/ActivePolicy"))
                && ((Number) opcUa.value("Isochron/Scheduler/OverlapPercent")).doubleValue() == overlap, 10,
                policy + " " + overlap + " active");
        Thread.sleep(500); // a few decision rounds under the new policy
    }

    private record Sample(int taken, int apart, int singleCore) {}

    /**
     * Samples the kernel's affinities of the two STORAGE guests' vCPU threads, {@value #SAMPLES} times
     * (or for at most a minute). With {@code whileActiveStorage}, a sample counts only if the scheduler
     * shows both vCPUs as active STORAGE right before and right after it.
     */
    private Sample sample(boolean whileActiveStorage) throws Exception {
        int t1 = g1.vcpuThreads().get(0);
        int t2 = g2.vcpuThreads().get(0);
        int taken = 0;
        int apart = 0;
        int single = 0;
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (taken < SAMPLES && System.nanoTime() < deadline) {
            boolean before = !whileActiveStorage || bothActiveStorage();
            BitSet a1 = g1.affinity(t1);
            BitSet a2 = g2.affinity(t2);
            // A sample that saw a placement being applied (one thread moved, the other not yet) is not taken.
            boolean settled = a1.equals(g1.affinity(t1)) && a2.equals(g2.affinity(t2));
            if (before && settled && (!whileActiveStorage || bothActiveStorage())) {
                taken++;
                if (a1.cardinality() == 1 && a2.cardinality() == 1) {
                    single++;
                }
                if (!a1.equals(a2)) {
                    apart++;
                }
            }
            Thread.sleep(SAMPLE_MILLIS);
        }
        return new Sample(taken, apart, single);
    }

    private boolean bothActiveStorage() {
        for (String vm : List.of("g1", "g2")) {
            if (!"STORAGE".equals(category(vm))
                    || "IDLE".equals(opcUa.value("Isochron/VirtualMachines/" + vm + "/Vcpu0/State"))) {
                return false;
            }
        }
        return true;
    }
}
