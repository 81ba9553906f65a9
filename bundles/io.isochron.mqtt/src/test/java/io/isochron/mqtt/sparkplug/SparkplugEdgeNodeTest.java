package io.isochron.mqtt.sparkplug;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.isochron.api.IoCategory;
import io.isochron.api.runtime.Health;
import io.isochron.api.runtime.JitterStats;
import io.isochron.api.runtime.SchedulerState;
import io.isochron.mqtt.model.TelemetryModel;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.eclipse.tahu.message.SparkplugBPayloadDecoder;
import org.eclipse.tahu.message.model.Metric;
import org.eclipse.tahu.message.model.MetricDataType;
import org.eclipse.tahu.message.model.SparkplugBPayload;
import org.junit.jupiter.api.Test;

/** Messages decoded with Tahu's own decoder. */
class SparkplugEdgeNodeTest {
    private static final SchedulerState STATE = new SchedulerState(0, "sim", "interference-aware", 25, "interference-aware",
            1234, 0.4, Health.NORMAL, "",
            List.of(new SchedulerState.Pcpu(0, "plc/0", IoCategory.BUS, 37.5), new SchedulerState.Pcpu(1, "", IoCategory.NONE, 0)),
            List.of(new SchedulerState.Vcpu("plc", 0, IoCategory.BUS, SchedulerState.VcpuState.RUNNING, 0, 30),
                    new SchedulerState.Vcpu("hmi", 0, IoCategory.GPU, SchedulerState.VcpuState.READY, 1, 55)),
            List.of(new SchedulerState.Component(IoCategory.GPU, 12.5, 113, 0.25)));
    private static final TelemetryModel.Values VALUES = TelemetryModel.of(STATE,
            List.of(new JitterStats(JitterStats.HOST, 1000, 2, 4.5, 31, 12, 20, 60_000, 1),
                    new JitterStats("plc", 1000, 5, 9, 80, 40, 60, 6_000, 0)), 17, 3, 2);

    private static SparkplugBPayload decode(SparkplugEdgeNode.Message m) throws Exception {
        return new SparkplugBPayloadDecoder().buildFromByteArray(m.payload(), null);
    }

    private static Map<String, Metric> metrics(SparkplugBPayload p) {
        return p.getMetrics().stream().collect(Collectors.toMap(Metric::getName, m -> m));
    }

    @Test
    void birthsCarryBdSeqRebirthAndEveryMetricWithItsType() throws Exception {
        SparkplugEdgeNode node = new SparkplugEdgeNode("plant", "edge-1", 7);
        SparkplugEdgeNode.Message will = node.openSession();
        assertThat(will.topic()).isEqualTo("spBv1.0/plant/NDEATH/edge-1");
        SparkplugBPayload death = decode(will);
        assertThat(death.getSeq()).isNull();
        assertThat(metrics(death).get("bdSeq").getValue()).isEqualTo(BigInteger.valueOf(7));

        List<SparkplugEdgeNode.Message> births = node.births(VALUES);
        assertThat(births).extracting(SparkplugEdgeNode.Message::topic).containsExactly(
                "spBv1.0/plant/NBIRTH/edge-1", "spBv1.0/plant/DBIRTH/edge-1/plc", "spBv1.0/plant/DBIRTH/edge-1/hmi");
        SparkplugBPayload nbirth = decode(births.get(0));
        assertThat(nbirth.getSeq()).isZero();
        Map<String, Metric> m = metrics(nbirth);
        assertThat(m.get("bdSeq").getValue()).isEqualTo(BigInteger.valueOf(7));
        assertThat(m.get("Node Control/Rebirth").getValue()).isEqualTo(false);
        assertThat(m.get("Scheduler/ActivePolicy").getValue()).isEqualTo("interference-aware");
        assertThat(m.get("Scheduler/OverlapPercent").getValue()).isEqualTo(25.0);
        assertThat(m.get("Scheduler/DecisionCount").getDataType()).isEqualTo(MetricDataType.UInt64);
        assertThat(m.get("Scheduler/DecisionCount").getValue()).isEqualTo(BigInteger.valueOf(1234));
        assertThat(m.get("Health").getValue()).isEqualTo("NORMAL");
        assertThat(m.get("PhysicalCpus/Cpu0/RunningVcpu").getValue()).isEqualTo("plc/0");
        assertThat(m.get("PhysicalCpus/Cpu0/Category").getValue()).isEqualTo("BUS");
        assertThat(m.get("PhysicalCpus/Cpu1/RunningVcpu").getValue()).isEqualTo("");
        assertThat(m.get("IoComponents/GPU/Peak").getValue()).isEqualTo(113.0);
        assertThat(m.get("IoComponents/GPU/OverloadSeconds").getValue()).isEqualTo(0.25);
        SparkplugBPayload plc = decode(births.get(1));
        assertThat(plc.getSeq()).isEqualTo(1L);
        assertThat(metrics(plc).get("Vcpu0/Category").getValue()).isEqualTo("BUS");
        assertThat(metrics(plc).get("Vcpu0/PhysicalCpu").getValue()).isEqualTo(0);
        assertThat(metrics(plc).get("Jitter/P99").getValue()).isEqualTo(40.0);
        assertThat(metrics(plc).get("Jitter/Samples").getValue()).isEqualTo(BigInteger.valueOf(6000));
        assertThat(metrics(decode(births.get(2))).get("Vcpu0/State").getValue()).isEqualTo("READY");
        assertThat(metrics(decode(births.get(2)))).doesNotContainKey("Jitter/P99");
        assertThat(m.get("Jitter/Host/Max").getValue()).isEqualTo(31.0);
        assertThat(m.get("Jitter/Host/Overruns").getValue()).isEqualTo(BigInteger.ONE);
        assertThat(m.get("Telemetry/Buffered").getValue()).isEqualTo(BigInteger.valueOf(17));
        assertThat(m.get("Telemetry/Dropped").getValue()).isEqualTo(BigInteger.valueOf(3));
        assertThat(m.get("Telemetry/Corrupt").getValue()).isEqualTo(BigInteger.valueOf(2));
    }

    @Test
    void bufferedDataGetsTheSessionsSeqWhenSentWrappingAt255() throws Exception {
        SparkplugEdgeNode node = new SparkplugEdgeNode("plant", "edge-1", 255);
        SparkplugEdgeNode.Message ndata = node.nodeData(VALUES);
        assertThat(ndata.topic()).isEqualTo("spBv1.0/plant/NDATA/edge-1");
        assertThat(decode(ndata).getSeq()).as("no seq until sent").isNull();
        node.openSession();
        node.births(VALUES); // seq 0, 1, 2
        long expected = 3;
        for (int i = 0; i < 600; i++) {
            SparkplugBPayload sent = new SparkplugBPayloadDecoder().buildFromByteArray(node.sequence(ndata.payload()), null);
            assertThat(sent.getSeq()).isEqualTo(expected);
            expected = (expected + 1) % 256;
        }
        assertThat(node.nextBdSeq()).isZero();
        SparkplugEdgeNode.Message will = node.openSession();
        assertThat(metrics(decode(will)).get("bdSeq").getValue()).isEqualTo(BigInteger.ZERO);
        assertThat(decode(node.births(VALUES).get(0)).getSeq()).isZero();
        SparkplugEdgeNode.Message ddeath = node.deviceDeath("hmi", 5);
        assertThat(ddeath.topic()).isEqualTo("spBv1.0/plant/DDEATH/edge-1/hmi");
        assertThat(new SparkplugBPayloadDecoder().buildFromByteArray(node.sequence(ddeath.payload()), null).getSeq())
                .isEqualTo(3L);
    }

    @Test
    void aRebirthKeepsTheSessionsBdSeqAndRestartsSeq() throws Exception {
        SparkplugEdgeNode node = new SparkplugEdgeNode("plant", "edge-1", 41);
        node.openSession();
        node.births(VALUES);
        node.sequence(node.nodeData(VALUES).payload());
        List<SparkplugEdgeNode.Message> again = node.births(VALUES);
        SparkplugBPayload nbirth = decode(again.get(0));
        assertThat(nbirth.getSeq()).isZero();
        assertThat(metrics(nbirth).get("bdSeq").getValue()).isEqualTo(BigInteger.valueOf(41));
        assertThat(metrics(decode(node.closeSession())).get("bdSeq").getValue()).isEqualTo(BigInteger.valueOf(41));
        assertThat(node.nextBdSeq()).isEqualTo(42);
    }

    @Test
    void dataProducedBeforeTheSessionIsSentAsHistorical() throws Exception {
        SparkplugEdgeNode node = new SparkplugEdgeNode("plant", "edge-1", 0);
        TelemetryModel.Values old = new TelemetryModel.Values(System.currentTimeMillis() - 60_000, VALUES.node(), VALUES.vms());
        byte[] buffered = node.nodeData(old).payload();
        byte[] fresh = node.nodeData(new TelemetryModel.Values(System.currentTimeMillis() + 1_000, VALUES.node(), VALUES.vms())).payload();
        node.openSession();
        SparkplugBPayload sentOld = new SparkplugBPayloadDecoder().buildFromByteArray(node.sequence(buffered), null);
        SparkplugBPayload sentFresh = new SparkplugBPayloadDecoder().buildFromByteArray(node.sequence(fresh), null);
        assertThat(sentOld.getMetrics()).allMatch(Metric::isHistorical);
        assertThat(sentOld.getTimestamp().getTime()).isEqualTo(old.timestampMillis());
        assertThat(sentFresh.getMetrics()).noneMatch(m -> Boolean.TRUE.equals(m.isHistorical()));
    }

    @Test
    void commandsDecodeToTheirMetrics() throws Exception {
        byte[] ncmd = new org.eclipse.tahu.message.SparkplugBPayloadEncoder().getBytes(
                new SparkplugBPayload.SparkplugBPayloadBuilder()
                        .addMetric(new Metric.MetricBuilder("Node Control/Rebirth", MetricDataType.Boolean, true).createMetric())
                        .addMetric(new Metric.MetricBuilder("Scheduler/ActivePolicy", MetricDataType.String, "edf").createMetric())
                        .createPayload(), false);
        assertThat(SparkplugEdgeNode.commandMetrics(ncmd)).containsExactly(
                Map.entry("Node Control/Rebirth", true), Map.entry("Scheduler/ActivePolicy", "edf"));
        assertThatThrownBy(() -> SparkplugEdgeNode.commandMetrics(new byte[] {1, 2, 3}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("not a Sparkplug B payload");
    }

    @Test
    void badIdsAreRejected() {
        assertThatThrownBy(() -> new SparkplugEdgeNode("plant/1", "edge", 0))
                .hasMessage("group id 'plant/1' must be non-empty without '/', '+' or '#'");
        assertThatThrownBy(() -> new SparkplugEdgeNode("plant", "", 0)).hasMessageContaining("edge node id ''");
    }
}
