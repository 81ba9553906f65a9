package io.isochron.mqtt.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.isochron.api.IoCategory;
import io.isochron.api.runtime.Health;
import io.isochron.api.runtime.PolicyControl;
import io.isochron.api.runtime.SchedulerState;
import io.isochron.mqtt.transport.Mosquitto;
import io.isochron.mqtt.transport.SparkplugHost;
import io.isochron.mqtt.transport.SparkplugHost.Received;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.eclipse.tahu.message.model.Metric;
import org.eclipse.tahu.message.model.MetricDataType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The telemetry publisher against a real Mosquitto, decoded with Eclipse Tahu as a Sparkplug host
 * would: births, data, session sequence numbers, a 30 s broker outage while telemetry flows (also
 * with an appliance restart in the middle of it), rebirth and policy commands.
 */
class SparkplugTelemetryTest {
    private static final String GROUP = "plant";
    private static final String NODE = "edge-1";
    private static final long OUTAGE_MILLIS = Long.getLong("outage", 30_000);

    /** A scheduler whose decision count moves on every snapshot, so every message is unique. */
    private static final class Scheduler {
        final AtomicLong decisions = new AtomicLong();
        final AtomicReference<String> policy = new AtomicReference<>("interference-aware");
        volatile boolean analyticsRunning = true;

        SchedulerState snapshot() {
            List<SchedulerState.Vcpu> vcpus = new ArrayList<>();
            vcpus.add(new SchedulerState.Vcpu("plc", 0, IoCategory.BUS, SchedulerState.VcpuState.RUNNING, 0, 30));
            if (analyticsRunning) {
                vcpus.add(new SchedulerState.Vcpu("analytics", 0, IoCategory.STORAGE, SchedulerState.VcpuState.READY, 1, 45));
            }
            return new SchedulerState(System.currentTimeMillis(), "test", policy.get(), 0, policy.get(),
                    decisions.incrementAndGet(), 0.5, Health.NORMAL, "",
                    List.of(new SchedulerState.Pcpu(0, "plc/0", IoCategory.BUS, 50), new SchedulerState.Pcpu(1, "", IoCategory.NONE, 0)),
                    vcpus, List.of(new SchedulerState.Component(IoCategory.BUS, 30, 30, 0)));
        }

        PolicyControl control() {
            return new PolicyControl() {
                @Override
                public String switchPolicy(String name, double overlapPercent) {
                    if (!available().contains(name)) {
                        throw new IllegalArgumentException("unknown policy '" + name + "' (allowed: " + available() + ")");
                    }
                    return policy.getAndSet(name);
                }

                @Override
                public ActivePolicy active() {
                    return new ActivePolicy(policy.get(), 0, policy.get());
                }

                @Override
                public List<String> available() {
                    return List.of("edf-refinement", "interference-aware", "shortest-queue");
                }
            };
        }
    }

    private static TelemetryPublisher.Options options(String uri, Path buffer, boolean commands) {
        return new TelemetryPublisher.Options(uri, MqttConfig.Format.SPARKPLUG, GROUP, NODE, "isochron-" + NODE,
                100, 100, 2, "", new char[0], null, buffer, 8L << 20, false, commands);
    }

    private static TelemetryPublisher start(String uri, Path buffer, Scheduler s, boolean commands) throws Exception {
        TelemetryPublisher p = new TelemetryPublisher(options(uri, buffer, commands), s::snapshot, List::of, s::control);
        p.start();
        return p;
    }

    /** What a test does with a running broker and a Sparkplug host listening on it. */
    private interface OnBroker {
        void run(Mosquitto broker, SparkplugHost host, Scheduler s) throws Exception;
    }

    private static void onBroker(Path dir, OnBroker test) throws Exception {
        Files.createDirectories(dir.resolve("broker"));
        try (Mosquitto broker = new Mosquitto(dir.resolve("broker"))) {
            broker.start();
            try (SparkplugHost host = new SparkplugHost(broker.uri(), GROUP)) {
                test.run(broker, host, new Scheduler());
            }
        }
    }

    private static void waitFor(BooleanSupplier condition, long seconds, String what) throws InterruptedException {
        waitFor(condition, seconds, () -> what);
    }

    private static void waitFor(BooleanSupplier condition, long seconds, Supplier<String> what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out after " + seconds + " s waiting for " + what.get());
            }
            Thread.sleep(20);
        }
    }

    /** Waits until the host has the NDEATH of the last session and every buffered message. */
    private static void waitForEverything(SparkplugHost host, int births, long produced) throws InterruptedException {
        waitFor(() -> host.sessionClosed(births) && bufferedReceived(new ArrayList<>(host.received)) >= produced, 30,
                () -> "everything at the host: " + births + " NBIRTH, the last one's NDEATH and " + produced
                        + " buffered messages (" + host.describe() + ")");
    }

    /** Messages that went through the buffer: all but NBIRTH, NDEATH and the DBIRTHs right after an NBIRTH. */
    private static long bufferedReceived(List<Received> all) {
        long buffered = 0;
        boolean inBirths = false;
        for (Received r : all) {
            if (r.type().equals("NBIRTH")) {
                inBirths = true;
            } else if (!r.type().equals("NDEATH")) {
                inBirths &= r.type().equals("DBIRTH");
                buffered += inBirths ? 0 : 1;
            }
        }
        return buffered;
    }

    /**
     * What a Sparkplug host checks: within a session (from one NBIRTH to the next) seq goes up by
     * one, wrapping at 255; and every buffered message arrived once and in production order.
     */
    private static void assertSessionsAndOrder(List<Received> all, long produced) {
        long seq = -1;
        long lastDecisions = -1;
        for (Received r : all) {
            if (r.type().equals("NBIRTH")) {
                assertThat(r.payload().getSeq()).isZero();
                seq = 0;
                continue;
            }
            if (r.type().equals("NDEATH")) {
                continue;
            }
            assertThat(r.payload().getSeq()).as("seq of %s after %d", r.topic(), seq).isEqualTo((seq + 1) % 256);
            seq = r.payload().getSeq();
            if (r.type().equals("NDATA")) {
                assertThat(r.decisions()).as("NDATA in production order, each once").isGreaterThan(lastDecisions);
                lastDecisions = r.decisions();
            }
        }
        assertThat(bufferedReceived(all)).as("buffered messages received").isEqualTo(produced);
    }

    @Test
    void birthsAndDataDecodeWithTahu(@TempDir Path dir) throws Exception {
        onBroker(dir, (broker, host, s) -> {
            TelemetryPublisher p = start(broker.uri(), dir.resolve("buffer"), s, false);
            waitFor(() -> host.of("NDATA").size() >= 5, 10, "five NDATA");
            s.analyticsRunning = false;
            waitFor(() -> !host.of("DDEATH").isEmpty(), 10, "DDEATH of the stopped VM");
            p.close();
            waitForEverything(host, 1, p.status().produced()); // the NDEATH of a clean shutdown included

            Received nbirth = host.of("NBIRTH").get(0);
            Map<String, Object> m = nbirth.metrics();
            assertThat(nbirth.topic()).isEqualTo("spBv1.0/plant/NBIRTH/edge-1");
            assertThat(m).containsEntry("Scheduler/ActivePolicy", "interference-aware")
                    .containsEntry("Node Control/Rebirth", false)
                    .containsEntry("PhysicalCpus/Cpu0/RunningVcpu", "plc/0")
                    .containsEntry("IoComponents/BUS/Utilization", 30.0)
                    .containsEntry("Health", "NORMAL")
                    .containsKeys("bdSeq", "Scheduler/DecisionLatencyP99", "Telemetry/Dropped");
            assertThat(nbirth.payload().getMetrics()).filteredOn(x -> x.getName().equals("Scheduler/DecisionCount"))
                    .extracting(Metric::getDataType).containsExactly(MetricDataType.UInt64);
            assertThat(host.of("DBIRTH")).extracting(Received::topic)
                    .contains("spBv1.0/plant/DBIRTH/edge-1/plc", "spBv1.0/plant/DBIRTH/edge-1/analytics");
            Received ddata = host.of("DDATA").get(0);
            assertThat(ddata.metrics()).containsEntry("Vcpu0/PhysicalCpu", 0).containsKey("Vcpu0/Category");
            assertThat(host.of("DDEATH")).extracting(Received::topic).containsExactly("spBv1.0/plant/DDEATH/edge-1/analytics");
            assertThat(host.of("NDEATH").get(0).metrics().get("bdSeq")).isEqualTo(m.get("bdSeq"));
            assertSessionsAndOrder(new ArrayList<>(host.received), p.status().produced());
        });
    }

    @Test
    void aThirtySecondOutageLosesNothingAndDuplicatesNothing(@TempDir Path dir) throws Exception {
        onBroker(dir, (broker, host, s) -> {
            TelemetryPublisher p = start(broker.uri(), dir.resolve("buffer"), s, false);
            waitFor(() -> host.of("NDATA").size() >= 10, 10, "telemetry flowing");
            broker.stop();
            long before = p.status().produced();
            Thread.sleep(OUTAGE_MILLIS);
            assertThat(p.status().connected()).isFalse();
            assertThat(p.status().produced() - before).as("produced during the outage").isGreaterThan(OUTAGE_MILLIS / 1000 * 15);
            broker.start();
            waitFor(host::connected, 10, "the host application back");
            waitFor(() -> p.status().queued() == 0, 30, "buffer drained");
            p.close();
            waitForEverything(host, 2, p.status().produced());
            List<Received> all = new ArrayList<>(host.received);
            assertSessionsAndOrder(all, p.status().produced());
            assertThat(host.of("NBIRTH")).hasSize(2);
            long firstNewBirth = host.of("NBIRTH").get(1).payload().getTimestamp().getTime();
            assertThat(host.of("NDATA")).filteredOn(r -> r.payload().getTimestamp().getTime() < firstNewBirth - 1000)
                    .filteredOn(r -> all.indexOf(r) > all.indexOf(host.of("NBIRTH").get(1)))
                    .isNotEmpty()
                    .allMatch(r -> r.payload().getMetrics().stream().allMatch(Metric::isHistorical));
        });
    }

    @Test
    void anApplianceRestartDuringTheOutageLosesNothing(@TempDir Path dir) throws Exception {
        Path buffer = dir.resolve("buffer");
        onBroker(dir, (broker, host, s) -> {
            TelemetryPublisher first = start(broker.uri(), buffer, s, false);
            waitFor(() -> host.of("NDATA").size() >= 10, 10, "telemetry flowing");
            broker.stop();
            Thread.sleep(OUTAGE_MILLIS / 2);
            first.close();
            TelemetryPublisher second = start(broker.uri(), buffer, s, false);
            Thread.sleep(OUTAGE_MILLIS / 2);
            broker.start();
            waitFor(host::connected, 10, "the host application back");
            waitFor(() -> second.status().queued() == 0, 30, "buffer drained");
            second.close();
            long produced = first.status().produced() + second.status().produced();
            waitForEverything(host, 2, produced);
            List<Received> all = new ArrayList<>(host.received);
            assertSessionsAndOrder(all, produced);
            List<Long> bdSeqs = host.of("NBIRTH").stream().map(r -> ((BigInteger) r.metrics().get("bdSeq")).longValue()).toList();
            assertThat(bdSeqs).as("bdSeq kept across the restart, one per CONNECT").hasSize(2);
            assertThat(bdSeqs.get(1)).isGreaterThan(bdSeqs.get(0));
        });
    }

    @Test
    void rebirthIsHonouredAndPolicyCommandsOnlyWhenEnabled(@TempDir Path dir) throws Exception {
        onBroker(dir, (broker, host, s) -> {
            TelemetryPublisher off = start(broker.uri(), dir.resolve("a"), s, false);
            waitFor(() -> host.of("NBIRTH").size() == 1, 10, "birth");
            host.command(NODE, new Metric.MetricBuilder("Node Control/Rebirth", MetricDataType.Boolean, true).createMetric());
            waitFor(() -> host.of("NBIRTH").size() == 2, 10, "rebirth");
            assertThat(host.of("NBIRTH").get(1).metrics().get("bdSeq")).isEqualTo(host.of("NBIRTH").get(0).metrics().get("bdSeq"));
            host.command(NODE, new Metric.MetricBuilder("Scheduler/ActivePolicy", MetricDataType.String, "shortest-queue").createMetric());
            Thread.sleep(500);
            assertThat(s.policy.get()).as("commands are off by default").isEqualTo("interference-aware");
            off.close();

            TelemetryPublisher on = start(broker.uri(), dir.resolve("b"), s, true);
            waitFor(() -> host.of("NBIRTH").size() == 3, 10, "birth");
            host.command(NODE, new Metric.MetricBuilder("Scheduler/ActivePolicy", MetricDataType.String, "no-such-policy").createMetric());
            host.command(NODE, new Metric.MetricBuilder("Scheduler/ActivePolicy", MetricDataType.String, "shortest-queue").createMetric());
            waitFor(() -> s.policy.get().equals("shortest-queue"), 10, "the switch");
            waitFor(() -> host.of("NDATA").stream().anyMatch(r -> "shortest-queue".equals(r.metrics().get("Scheduler/ActivePolicy"))),
                    10, "the new policy in NDATA");
            on.close();
        });
    }
}
