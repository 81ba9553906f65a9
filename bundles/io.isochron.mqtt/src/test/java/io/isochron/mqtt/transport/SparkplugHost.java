package io.isochron.mqtt.transport;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.eclipse.tahu.message.SparkplugBPayloadDecoder;
import org.eclipse.tahu.message.SparkplugBPayloadEncoder;
import org.eclipse.tahu.message.model.Metric;
import org.eclipse.tahu.message.model.SparkplugBPayload;

/**
 * A Sparkplug host application's view of one group, decoded with Eclipse Tahu: a persistent session
 * at QoS 2 that records every message in arrival order and can send node commands.
 */
public final class SparkplugHost implements AutoCloseable {
    /** One message as the host decoded it. */
    public record Received(String topic, SparkplugBPayload payload) {
        /** NBIRTH, NDATA, DDATA, ... */
        public String type() {
            return topic.split("/")[2];
        }

        /** Metric name → value ("" for null), the last one winning for repeated names. */
        public Map<String, Object> metrics() {
            return payload.getMetrics().stream().collect(Collectors.toMap(Metric::getName,
                    m -> m.getValue() == null ? "" : m.getValue(), (a, b) -> b));
        }

        public long decisions() {
            return ((BigInteger) metrics().get("Scheduler/DecisionCount")).longValue();
        }
    }

    public final List<Received> received = Collections.synchronizedList(new ArrayList<>());
    private final MqttClient client;
    private final String group;

    public SparkplugHost(String uri, String group) throws MqttException {
        this.group = group;
        client = new MqttClient(uri, "test-host-app", new MemoryPersistence());
        client.setCallback(new MqttCallback() {
            @Override
            public void connectionLost(Throwable cause) {
                // reconnected by connected()
            }

            @Override
            public void messageArrived(String topic, MqttMessage message) throws Exception {
                received.add(new Received(topic, new SparkplugBPayloadDecoder().buildFromByteArray(message.getPayload(), null)));
            }

            @Override
            public void deliveryComplete(IMqttDeliveryToken token) {
                // nothing published at QoS > 0 that needs tracking
            }
        });
        client.connect(options());
        client.subscribe("spBv1.0/" + group + "/#", 2);
    }

    private static MqttConnectOptions options() {
        MqttConnectOptions o = new MqttConnectOptions();
        o.setCleanSession(false);
        return o;
    }

    /** Whether the host is connected, reconnecting (same persistent session) if it is not. */
    public boolean connected() {
        if (!client.isConnected()) {
            try {
                client.connect(options());
            } catch (MqttException notYet) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether the NDEATH of the last of the expected births (same bdSeq) has arrived. Not necessarily
     * as the last message: MQTT keeps order per topic and QoS only, and Mosquitto may deliver a
     * session's last QoS 2 data after its QoS 1 NDEATH while the host's in-flight window is full.
     */
    public boolean sessionClosed(int births) {
        if (!connected()) {
            return false;
        }
        List<Received> nbirths = of("NBIRTH");
        if (nbirths.size() != births) {
            return false;
        }
        Object bdSeq = nbirths.get(births - 1).metrics().get("bdSeq");
        return of("NDEATH").stream().anyMatch(d -> d.metrics().get("bdSeq").equals(bdSeq));
    }

    /** For a failure message: how many messages, the births' bdSeq and the last messages. */
    public String describe() {
        List<Object> births = of("NBIRTH").stream().map(r -> r.metrics().get("bdSeq")).toList();
        synchronized (received) {
            List<String> last = received.subList(Math.max(0, received.size() - 5), received.size()).stream()
                    .map(r -> r.type() + " seq " + r.payload().getSeq() + (r.metrics().containsKey("bdSeq") ? " bdSeq " + r.metrics().get("bdSeq") : ""))
                    .toList();
            return received.size() + " messages, NBIRTH bdSeq " + births + ", NDEATH at "
                    + java.util.stream.IntStream.range(0, received.size()).filter(i -> received.get(i).type().equals("NDEATH")).boxed().toList()
                    + ", last " + last;
        }
    }

    public List<Received> of(String type) {
        synchronized (received) {
            return received.stream().filter(r -> r.type().equals(type)).toList();
        }
    }

    /** Sends an NCMD with these metrics to {@code node}. */
    public void command(String node, Metric... metrics) throws Exception {
        SparkplugBPayload.SparkplugBPayloadBuilder b = new SparkplugBPayload.SparkplugBPayloadBuilder();
        for (Metric m : metrics) {
            b.addMetric(m);
        }
        client.publish("spBv1.0/" + group + "/NCMD/" + node, new SparkplugBPayloadEncoder().getBytes(b.createPayload(), false), 1, false);
    }

    @Override
    public void close() throws MqttException {
        if (client.isConnected()) {
            client.disconnect();
        }
        client.close();
    }
}
