package io.isochron.mqtt.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.isochron.api.telemetry.Snapshot;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The plain JSON mode for simple consumers: the same values as the Sparkplug metrics, one document
 * for the node ({@code isochron/<edge-node>/status}) and one per VM
 * ({@code isochron/<edge-node>/VirtualMachines/<vm>}), each {@code {"timestamp": ms, "metrics":
 * {path: value}}}; a VM that goes away gets {@code {"timestamp": ms, "online": false}}. The retained
 * {@code isochron/<edge-node>/online} is {@code true} while connected and {@code false} as the will.
 */
public final class JsonTelemetry {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final String prefix;

    public JsonTelemetry(String edgeNode) {
        this.prefix = "isochron/" + edgeNode + "/";
    }

    public String onlineTopic() {
        return prefix + "online";
    }

    public String nodeTopic() {
        return prefix + "status";
    }

    public String vmTopic(String vm) {
        return prefix + "VirtualMachines/" + vm;
    }

    public byte[] online(boolean online) {
        return Boolean.toString(online).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    public byte[] node(Snapshot v) {
        return document(v.timestampMillis(), "metrics", v.nodeValues());
    }

    public byte[] vm(long timestampMillis, Map<String, Object> metrics) {
        return document(timestampMillis, "metrics", metrics);
    }

    public byte[] vmGone(long timestampMillis) {
        return document(timestampMillis, "online", false);
    }

    private static byte[] document(long timestampMillis, String key, Object value) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("timestamp", timestampMillis);
        doc.put(key, value);
        try {
            return JSON.writeValueAsBytes(doc);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
