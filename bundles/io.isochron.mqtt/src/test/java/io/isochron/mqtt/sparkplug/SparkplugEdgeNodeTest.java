package io.isochron.mqtt.sparkplug;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.isochron.api.IoCategory;
import io.isochron.api.runtime.Health;
import io.isochron.api.runtime.SchedulerState;
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

        List<SparkplugEdgeNode.Message> births = node.births(STATE);
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
        assertThat(metrics(decode(births.get(2))).get("Vcpu0/State").getValue()).isEqualTo("READY");
    }

    @Test
    void seqWrapsAt255AndBdSeqAdvancesPerSession() throws Exception {
        SparkplugEdgeNode node = new SparkplugEdgeNode("plant", "edge-1", 255);
        node.openSession();
        node.births(STATE); // seq 0, 1, 2
        long expected = 3;
        for (int i = 0; i < 200; i++) {
            for (SparkplugEdgeNode.Message m : node.data(STATE)) {
                assertThat(decode(m).getSeq()).isEqualTo(expected);
                expected = (expected + 1) % 256;
            }
        }
        assertThat(node.nextBdSeq()).isZero();
        SparkplugEdgeNode.Message will = node.openSession();
        assertThat(metrics(decode(will)).get("bdSeq").getValue()).isEqualTo(BigInteger.ZERO);
        assertThat(decode(node.births(STATE).get(0)).getSeq()).isZero();
        assertThat(decode(node.deviceDeath("hmi")).getSeq()).isEqualTo(3L);
        assertThat(node.deviceDeath("hmi").topic()).isEqualTo("spBv1.0/plant/DDEATH/edge-1/hmi");
    }

    @Test
    void badIdsAreRejected() {
        assertThatThrownBy(() -> new SparkplugEdgeNode("plant/1", "edge", 0))
                .hasMessage("group id 'plant/1' must be non-empty without '/', '+' or '#'");
        assertThatThrownBy(() -> new SparkplugEdgeNode("plant", "", 0)).hasMessageContaining("edge node id ''");
    }
}
