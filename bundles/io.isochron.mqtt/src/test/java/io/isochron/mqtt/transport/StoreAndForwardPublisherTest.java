package io.isochron.mqtt.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.isochron.mqtt.buffer.DurableQueue;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Against a real Mosquitto: telemetry keeps being produced while the broker is down; after it
 * comes back everything arrives exactly once and in order — also when the appliance restarts
 * during the outage.
 */
class StoreAndForwardPublisherTest {
    private static final String TOPIC = "isochron/edge-1/Scheduler/DecisionCount";

    static StoreAndForwardPublisher.Settings settings(String uri) {
        return new StoreAndForwardPublisher.Settings(uri, "isochron-test-pub", "", new char[0], null, 100, 1000, 2, 16);
    }

    private static StoreAndForwardPublisher publisher(DurableQueue queue, Path dir, String uri) {
        return new StoreAndForwardPublisher(queue, dir.resolve("session"), settings(uri), StoreAndForwardPublisher.Session.plain());
    }

    /** A persistent-session subscriber: the broker keeps its messages across its own restart. */
    private static MqttClient subscriber(String uri, List<String> received) throws Exception {
        MqttClient c = new MqttClient(uri, "isochron-test-sub", new MemoryPersistence());
        c.setCallback(new org.eclipse.paho.client.mqttv3.MqttCallbackExtended() {
            @Override
            public void connectComplete(boolean reconnect, String serverURI) {}

            @Override
            public void connectionLost(Throwable cause) {}

            @Override
            public void messageArrived(String topic, org.eclipse.paho.client.mqttv3.MqttMessage message) {
                received.add(new String(message.getPayload(), StandardCharsets.UTF_8));
            }

            @Override
            public void deliveryComplete(org.eclipse.paho.client.mqttv3.IMqttDeliveryToken token) {}
        });
        c.connect(persistentSession());
        c.subscribe("isochron/#", 2);
        return c;
    }

    private static MqttConnectOptions persistentSession() {
        MqttConnectOptions o = new MqttConnectOptions();
        o.setCleanSession(false);
        o.setAutomaticReconnect(false);
        return o;
    }

    /** Reconnects the subscriber (its session, with its subscription, is kept by the broker). */
    private static boolean connected(MqttClient sub) {
        if (!sub.isConnected()) {
            try {
                sub.connect(persistentSession());
            } catch (org.eclipse.paho.client.mqttv3.MqttException notYet) {
                return false;
            }
        }
        return true;
    }

    private static void waitFor(BooleanSupplier condition, long seconds, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("timed out waiting for " + what).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    /** Where the broker keeps its files; fails at once, saying why, where Mosquitto is missing. */
    private static Path brokerDirectory(Path dir) throws IOException {
        assertThat(Path.of("/usr/sbin/mosquitto")).as("the broker (apt-get install mosquitto; .ci/run does)").isExecutable();
        return Files.createDirectories(dir.resolve("broker"));
    }

    /** QoS 2 end to end: every message exactly once, in production order. */
    private static void assertExactlyOnceInOrder(List<String> received, int count) {
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            expected.add("m" + i);
        }
        assertThat(received).containsExactlyElementsOf(expected);
    }

    @Test
    void anOutageLosesNothingAndKeepsTheOrder(@TempDir Path dir) throws Exception {
        List<String> received = Collections.synchronizedList(new ArrayList<>());
        try (Mosquitto broker = new Mosquitto(brokerDirectory(dir));
                DurableQueue queue = DurableQueue.open(dir.resolve("buffer"), 1 << 20, 64 * 1024, false)) {
            broker.start();
            MqttClient sub = subscriber(broker.uri(), received);
            StoreAndForwardPublisher pub = publisher(queue, dir, broker.uri());
            pub.start();
            int i = 0;
            for (; i < 100; i++) {
                pub.publish(TOPIC, 2, ("m" + i).getBytes(StandardCharsets.UTF_8));
                Thread.sleep(2);
            }
            waitFor(() -> received.size() >= 100, 10, "first 100 messages");
            broker.stop();
            for (; i < 400; i++) { // produced while the broker is down
                pub.publish(TOPIC, 2, ("m" + i).getBytes(StandardCharsets.UTF_8));
                Thread.sleep(5);
            }
            assertThat(pub.status().connected()).isFalse();
            assertThat(pub.status().queued()).isGreaterThan(250);
            broker.start();
            waitFor(() -> pub.status().queued() == 0, 30, "buffer drained after the broker is back");
            waitFor(() -> connected(sub) && received.size() >= 400, 30, "every message at the subscriber");
            pub.close();
            sub.disconnect();
            sub.close();
            assertExactlyOnceInOrder(new ArrayList<>(received), 400);
            assertThat(pub.status().reconnects()).isGreaterThanOrEqualTo(2);
        }
    }

    @Test
    void aKilledApplianceSendsAtMostOneMessageTwiceAndLosesNone(@TempDir Path dir) throws Exception {
        List<String> received = Collections.synchronizedList(new ArrayList<>());
        Path buffer = dir.resolve("buffer");
        int total = 3000;
        try (DurableQueue queue = DurableQueue.open(buffer, 1 << 20, 64 * 1024, false)) {
            for (int i = 0; i < total; i++) {
                queue.append(TOPIC, 2, ("m" + i).getBytes(StandardCharsets.UTF_8));
            }
        }
        try (Mosquitto broker = new Mosquitto(brokerDirectory(dir))) {
            broker.start();
            MqttClient sub = subscriber(broker.uri(), received);
            // First life: a process of its own, killed with SIGKILL while 16 messages are in flight.
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
            Process appliance = new ProcessBuilder(java, "-cp", classPath, PublishingProcess.class.getName(),
                    buffer.toString(), dir.resolve("session").toString(), broker.uri())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            waitFor(() -> received.size() >= total / 3, 30, "a third at the subscriber");
            appliance.toHandle().destroyForcibly();
            assertThat(appliance.waitFor(10, TimeUnit.SECONDS)).isTrue();
            // Second life: Paho completes what was in flight, the buffer goes on where it was.
            try (DurableQueue queue = DurableQueue.open(buffer, 1 << 20, 64 * 1024, false)) {
                StoreAndForwardPublisher pub = publisher(queue, dir, broker.uri());
                pub.start();
                waitFor(() -> pub.status().queued() == 0, 30, "buffer drained");
                waitFor(() -> new HashSet<>(List.copyOf(received)).size() >= total, 30, "every message at the subscriber");
                Thread.sleep(300); // a late duplicate would arrive now
                pub.close();
            }
            sub.disconnect();
            sub.close();
        }
        List<String> all = List.copyOf(received);
        List<String> firstArrivals = new ArrayList<>(new LinkedHashSet<>(all));
        assertExactlyOnceInOrder(firstArrivals, total);
        assertThat(all.size() - total).as("messages that arrived twice").isBetween(0, 1);
    }

    @Test
    void anApplianceRestartDuringTheOutageLosesNothing(@TempDir Path dir) throws Exception {
        List<String> received = Collections.synchronizedList(new ArrayList<>());
        Path buffer = dir.resolve("buffer");
        try (Mosquitto broker = new Mosquitto(brokerDirectory(dir))) {
            broker.start();
            MqttClient sub = subscriber(broker.uri(), received);
            broker.stop();
            // First life of the appliance: the broker is down from the start (Paho would not retry this).
            try (DurableQueue queue = DurableQueue.open(buffer, 1 << 20, 64 * 1024, false)) {
                StoreAndForwardPublisher pub = publisher(queue, dir, broker.uri());
                pub.start();
                for (int i = 0; i < 150; i++) {
                    pub.publish(TOPIC, 2, ("m" + i).getBytes(StandardCharsets.UTF_8));
                }
                Thread.sleep(300);
                pub.close();
            }
            // Second life: more telemetry, then the broker returns.
            try (DurableQueue queue = DurableQueue.open(buffer, 1 << 20, 64 * 1024, false)) {
                assertThat(queue.size()).isEqualTo(150);
                StoreAndForwardPublisher pub = publisher(queue, dir, broker.uri());
                pub.start();
                for (int i = 150; i < 300; i++) {
                    pub.publish(TOPIC, 2, ("m" + i).getBytes(StandardCharsets.UTF_8));
                }
                broker.start();
                waitFor(() -> pub.status().queued() == 0, 30, "buffer drained");
                waitFor(() -> connected(sub) && received.size() >= 300, 30, "every message at the subscriber");
                pub.close();
            }
            sub.disconnect();
            sub.close();
            assertExactlyOnceInOrder(new ArrayList<>(received), 300);
        }
    }
}
