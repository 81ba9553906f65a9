package io.isochron.mqtt.sparkplug;

import io.isochron.api.telemetry.Snapshot;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.tahu.SparkplugInvalidTypeException;
import org.eclipse.tahu.message.SparkplugBPayloadDecoder;
import org.eclipse.tahu.message.SparkplugBPayloadEncoder;
import org.eclipse.tahu.message.model.Metric;
import org.eclipse.tahu.message.model.MetricDataType;
import org.eclipse.tahu.message.model.SparkplugBPayload;

/**
 * The appliance as a Sparkplug B edge node, one device per VM, on Eclipse Tahu's payload model.
 *
 * <p>Two sides. The producer side ({@link #nodeData}, {@link #deviceBirth}, {@link #deviceData},
 * {@link #deviceDeath}) encodes telemetry when it is produced, without a {@code seq}: it goes into
 * the store-and-forward buffer and may be sent in a later MQTT session. The session side
 * ({@link #openSession}, {@link #births}, {@link #sequence}, {@link #closeSession}) runs on the
 * sender thread and keeps the session rules: {@code bdSeq} increments with every CONNECT, wraps at
 * 255 and is the same in the will (NDEATH) and the NBIRTH of a session; NBIRTH has {@code seq} 0
 * and every later message the next one, wrapping at 255, assigned when it is sent; births carry
 * {@code Node Control/Rebirth}. Messages produced before the session started are flagged
 * historical.
 */
public final class SparkplugEdgeNode {
    public static final String NAMESPACE = "spBv1.0";
    public static final String REBIRTH = "Node Control/Rebirth";
    public static final String BD_SEQ = "bdSeq";

    /** A message to publish. */
    public record Message(String topic, byte[] payload) {}

    private final String group;
    private final String node;
    // Session side: sender thread only.
    private long nextBdSeq;
    private long sessionBdSeq;
    private long seq;
    private long sessionStartMillis;

    /**
     * @param nextBdSeq the bdSeq of the next session (persist {@link #nextBdSeq()} across restarts)
     */
    public SparkplugEdgeNode(String group, String node, long nextBdSeq) {
        this.group = checkId("group", group);
        this.node = checkId("edge node", node);
        this.nextBdSeq = Math.floorMod(nextBdSeq, 256);
    }

    /** @throws IllegalArgumentException naming what is wrong with a Sparkplug id */
    public static String checkId(String what, String id) {
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
        return nextBdSeq;
    }

    /**
     * Starts a session (before every CONNECT): returns the NDEATH to register as the connection's
     * will and reserves the session's bdSeq.
     */
    public Message openSession() {
        sessionBdSeq = nextBdSeq;
        nextBdSeq = (nextBdSeq + 1) % 256;
        sessionStartMillis = System.currentTimeMillis();
        return death();
    }

    /** NDEATH of the current session, published explicitly on a clean shutdown (the will is not). */
    public Message closeSession() {
        return death();
    }

    private Message death() {
        return new Message(topic("NDEATH"), encode(payload(System.currentTimeMillis(), null)
                .addMetric(metric(BD_SEQ, BigInteger.valueOf(sessionBdSeq)))));
    }

    /** NBIRTH ({@code seq} 0) then one DBIRTH per VM, at the start of a session or on a rebirth request. */
    public List<Message> births(Snapshot v) {
        seq = 0;
        List<Message> out = new ArrayList<>();
        SparkplugBPayload.SparkplugBPayloadBuilder nbirth = payload(v.timestampMillis(), 0L)
                .addMetric(metric(BD_SEQ, BigInteger.valueOf(sessionBdSeq)))
                .addMetric(metric(REBIRTH, false));
        v.nodeValues().forEach((name, value) -> nbirth.addMetric(metric(name, value)));
        out.add(new Message(topic("NBIRTH"), encode(nbirth)));
        for (String vm : v.vms()) {
            seq = (seq + 1) % 256;
            SparkplugBPayload.SparkplugBPayloadBuilder dbirth = payload(v.timestampMillis(), seq);
            v.vmValues(vm).forEach((name, value) -> dbirth.addMetric(metric(name, value)));
            out.add(new Message(deviceTopic("DBIRTH", vm), encode(dbirth)));
        }
        return out;
    }

    /**
     * Gives a buffered payload the session's next {@code seq} (and marks its metrics historical when
     * it was produced before this session) just before it is sent.
     */
    public byte[] sequence(byte[] payload) {
        SparkplugBPayload p = decode(payload);
        seq = (seq + 1) % 256;
        p.setSeq(seq);
        if (p.getTimestamp() != null && p.getTimestamp().getTime() < sessionStartMillis) {
            p.getMetrics().forEach(m -> m.setHistorical(true));
        }
        return encode(p);
    }

    public Message nodeData(Snapshot v) {
        SparkplugBPayload.SparkplugBPayloadBuilder b = payload(v.timestampMillis(), null);
        v.nodeValues().forEach((name, value) -> b.addMetric(metric(name, value)));
        return new Message(topic("NDATA"), encode(b));
    }

    public Message deviceBirth(String vm, Map<String, Object> metrics, long timestampMillis) {
        SparkplugBPayload.SparkplugBPayloadBuilder b = payload(timestampMillis, null);
        metrics.forEach((name, value) -> b.addMetric(metric(name, value)));
        return new Message(deviceTopic("DBIRTH", vm), encode(b));
    }

    public Message deviceData(String vm, Map<String, Object> metrics, long timestampMillis) {
        SparkplugBPayload.SparkplugBPayloadBuilder b = payload(timestampMillis, null);
        metrics.forEach((name, value) -> b.addMetric(metric(name, value)));
        return new Message(deviceTopic("DDATA", vm), encode(b));
    }

    /** DDEATH for a VM that went away. */
    public Message deviceDeath(String vm, long timestampMillis) {
        return new Message(deviceTopic("DDEATH", vm), encode(payload(timestampMillis, null)));
    }

    /** The metrics of a command (NCMD) by name, in order. */
    public static Map<String, Object> commandMetrics(byte[] payload) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Metric m : decode(payload).getMetrics()) {
            out.put(m.getName(), m.getValue());
        }
        return out;
    }

    private static SparkplugBPayload decode(byte[] payload) {
        try {
            return new SparkplugBPayloadDecoder().buildFromByteArray(payload, null);
        } catch (Exception e) {
            throw new IllegalArgumentException("not a Sparkplug B payload: " + e.getMessage(), e);
        }
    }

    private static SparkplugBPayload.SparkplugBPayloadBuilder payload(long timestampMillis, Long seq) {
        SparkplugBPayload.SparkplugBPayloadBuilder b = new SparkplugBPayload.SparkplugBPayloadBuilder()
                .setTimestamp(new Date(timestampMillis));
        return seq == null ? b : b.setSeq(seq);
    }

    private static Metric metric(String name, Object value) {
        try {
            if (value instanceof String) {
                return new Metric.MetricBuilder(name, MetricDataType.String, value).createMetric();
            } else if (value instanceof Double) {
                return new Metric.MetricBuilder(name, MetricDataType.Double, value).createMetric();
            } else if (value instanceof Long l) {
                return new Metric.MetricBuilder(name, MetricDataType.UInt64, BigInteger.valueOf(l)).createMetric();
            } else if (value instanceof BigInteger) {
                return new Metric.MetricBuilder(name, MetricDataType.UInt64, value).createMetric();
            } else if (value instanceof Integer) {
                return new Metric.MetricBuilder(name, MetricDataType.Int32, value).createMetric();
            } else if (value instanceof Boolean) {
                return new Metric.MetricBuilder(name, MetricDataType.Boolean, value).createMetric();
            }
        } catch (SparkplugInvalidTypeException e) {
            throw new IllegalArgumentException("metric " + name + ": " + e.getMessage(), e);
        }
        throw new IllegalArgumentException("metric " + name + ": no Sparkplug type for " + value);
    }

    private static byte[] encode(SparkplugBPayload.SparkplugBPayloadBuilder b) {
        return encode(b.createPayload());
    }

    private static byte[] encode(SparkplugBPayload p) {
        try {
            return new SparkplugBPayloadEncoder().getBytes(p, false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
