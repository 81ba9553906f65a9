package io.isochron.mqtt.sparkplug;

import io.isochron.api.IoCategory;
import io.isochron.api.runtime.SchedulerState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.tahu.SparkplugInvalidTypeException;
import org.eclipse.tahu.message.SparkplugBPayloadEncoder;
import org.eclipse.tahu.message.model.Metric;
import org.eclipse.tahu.message.model.MetricDataType;
import org.eclipse.tahu.message.model.SparkplugBPayload;

/**
 * The appliance as a Sparkplug B edge node: one device per VM. Builds the session's messages from
 * scheduler snapshots with Eclipse Tahu's payload model — NBIRTH/DBIRTH when a session starts,
 * NDATA/DDATA afterwards, NDEATH as the MQTT will — and keeps the session rules: {@code bdSeq}
 * increments per connect and wraps at 255 and is the same in a session's NBIRTH and NDEATH; every
 * message after NBIRTH carries the next {@code seq}, 0–255 wrapping; births carry
 * {@code Node Control/Rebirth}. Metric names mirror the OPC UA paths of ARCHITECTURE.md.
 *
 * <p>Not thread-safe: the publisher's thread drives a session.
 */
public final class SparkplugEdgeNode {
    public static final String NAMESPACE = "spBv1.0";
    public static final String REBIRTH = "Node Control/Rebirth";
    public static final String BD_SEQ = "bdSeq";

    /** A message to publish. */
    public record Message(String topic, byte[] payload) {}

    private final String group;
    private final String node;
    private long bdSeq;
    private long seq;
    private final SparkplugBPayloadEncoder encoder = new SparkplugBPayloadEncoder();

    /**
     * @param nextBdSeq the bdSeq of the next session (persist {@link #nextBdSeq()} across restarts)
     */
    public SparkplugEdgeNode(String group, String node, long nextBdSeq) {
        this.group = checkId("group", group);
        this.node = checkId("edge node", node);
        this.bdSeq = Math.floorMod(nextBdSeq, 256);
    }

    private static String checkId(String what, String id) {
        if (id == null || id.isEmpty() || id.chars().anyMatch(c -> c == '/' || c == '+' || c == '#')) {
            throw new IllegalArgumentException(what + " id '" + id + "' must be non-empty without '/', '+' or '#'");
        }
        return id;
    }

    public String topic(String type) {
        return NAMESPACE + "/" + group + "/" + type + "/" + node;
    }

    public String deviceTopic(String type, String device) {
        return topic(type) + "/" + device;
    }

    /** The bdSeq the next session will use. */
    public long nextBdSeq() {
        return bdSeq;
    }

    /**
     * Starts a session: returns the NDEATH payload to register as the MQTT will of the connection
     * about to be made. The births follow with {@link #births}.
     */
    public Message openSession() {
        seq = 0;
        return new Message(topic("NDEATH"), encode(payload(null).addMetric(metric(BD_SEQ, MetricDataType.UInt64,
                BigInteger.valueOf(bdSeq)))));
    }

    /** NBIRTH then one DBIRTH per VM; ends the opening of the session (the next bdSeq is reserved). */
    public List<Message> births(SchedulerState state) {
        List<Message> out = new ArrayList<>();
        SparkplugBPayload.SparkplugBPayloadBuilder nbirth = payload(0L)
                .addMetric(metric(BD_SEQ, MetricDataType.UInt64, BigInteger.valueOf(bdSeq)))
                .addMetric(metric(REBIRTH, MetricDataType.Boolean, false));
        nodeMetrics(state).forEach((name, m) -> nbirth.addMetric(m));
        out.add(new Message(topic("NBIRTH"), encode(nbirth)));
        for (Map.Entry<String, Map<String, Metric>> vm : deviceMetrics(state).entrySet()) {
            SparkplugBPayload.SparkplugBPayloadBuilder dbirth = payload(nextSeq());
            vm.getValue().values().forEach(dbirth::addMetric);
            out.add(new Message(deviceTopic("DBIRTH", vm.getKey()), encode(dbirth)));
        }
        bdSeq = (bdSeq + 1) % 256;
        return out;
    }

    /** NDATA with the node's metrics and one DDATA per VM. */
    public List<Message> data(SchedulerState state) {
        List<Message> out = new ArrayList<>();
        SparkplugBPayload.SparkplugBPayloadBuilder ndata = payload(nextSeq());
        nodeMetrics(state).values().forEach(ndata::addMetric);
        out.add(new Message(topic("NDATA"), encode(ndata)));
        for (Map.Entry<String, Map<String, Metric>> vm : deviceMetrics(state).entrySet()) {
            SparkplugBPayload.SparkplugBPayloadBuilder ddata = payload(nextSeq());
            vm.getValue().values().forEach(ddata::addMetric);
            out.add(new Message(deviceTopic("DDATA", vm.getKey()), encode(ddata)));
        }
        return out;
    }

    /** DDEATH for a VM that went away. */
    public Message deviceDeath(String vm) {
        return new Message(deviceTopic("DDEATH", vm), encode(payload(nextSeq())));
    }

    private long nextSeq() {
        seq = (seq + 1) % 256;
        return seq;
    }

    private static SparkplugBPayload.SparkplugBPayloadBuilder payload(Long seq) {
        SparkplugBPayload.SparkplugBPayloadBuilder b = new SparkplugBPayload.SparkplugBPayloadBuilder()
                .setTimestamp(new Date());
        return seq == null ? b : b.setSeq(seq);
    }

    private static Map<String, Metric> nodeMetrics(SchedulerState s) {
        Map<String, Metric> m = new LinkedHashMap<>();
        put(m, "Scheduler/ActivePolicy", MetricDataType.String, s.policy());
        put(m, "Scheduler/OverlapPercent", MetricDataType.Double, s.overlapPercent());
        put(m, "Scheduler/DecisionCount", MetricDataType.UInt64, BigInteger.valueOf(s.decisionCount()));
        put(m, "Scheduler/DecisionLatencyP99", MetricDataType.Double, s.decisionLatencyP99Micros());
        put(m, "Health", MetricDataType.String, s.health().name());
        for (SchedulerState.Pcpu p : s.pcpus()) {
            String prefix = "PhysicalCpus/Cpu" + p.index() + "/";
            put(m, prefix + "RunningVcpu", MetricDataType.String, p.runningVcpu());
            put(m, prefix + "Category", MetricDataType.String, p.runningVcpu().isEmpty() ? "" : p.category().name());
            put(m, prefix + "Utilization", MetricDataType.Double, p.utilizationPercent());
        }
        for (SchedulerState.Component c : s.components()) {
            String prefix = "IoComponents/" + c.category().name() + "/";
            put(m, prefix + "Utilization", MetricDataType.Double, c.utilizationPercent());
            put(m, prefix + "Peak", MetricDataType.Double, c.peakPercent());
            put(m, prefix + "OverloadSeconds", MetricDataType.Double, c.overloadSeconds());
        }
        return m;
    }

    /** Per VM (device), its vCPUs' metrics, in VM order of first appearance. */
    private static Map<String, Map<String, Metric>> deviceMetrics(SchedulerState s) {
        Map<String, Map<String, Metric>> devices = new LinkedHashMap<>();
        for (SchedulerState.Vcpu v : s.vcpus()) {
            Map<String, Metric> m = devices.computeIfAbsent(v.vm(), k -> new LinkedHashMap<>());
            String prefix = "Vcpu" + v.index() + "/";
            put(m, prefix + "Category", MetricDataType.String, v.category() == null ? IoCategory.NONE.name() : v.category().name());
            put(m, prefix + "State", MetricDataType.String, v.state().name());
            put(m, prefix + "PhysicalCpu", MetricDataType.Int32, v.pcpu());
            put(m, prefix + "IoUtilization", MetricDataType.Double, v.ioPercent());
        }
        return devices;
    }

    private static void put(Map<String, Metric> m, String name, MetricDataType type, Object value) {
        m.put(name, metric(name, type, value));
    }

    private static Metric metric(String name, MetricDataType type, Object value) {
        try {
            return new Metric.MetricBuilder(name, type, value).createMetric();
        } catch (SparkplugInvalidTypeException e) {
            throw new IllegalArgumentException("metric " + name + ": " + e.getMessage(), e);
        }
    }

    private byte[] encode(SparkplugBPayload.SparkplugBPayloadBuilder b) {
        try {
            return encoder.getBytes(b.createPayload(), false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
