package io.isochron.mqtt.internal;

import io.isochron.api.IoCategory;
import io.isochron.api.runtime.Health;
import io.isochron.api.runtime.SchedulerState;
import io.isochron.mqtt.buffer.DurableQueue;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.eclipse.tahu.message.SparkplugBPayloadDecoder;
import org.eclipse.tahu.message.model.Metric;

/**
 * Against a real Mosquitto on a free loopback port (Debian's mosquitto must be installed):
 * (1) drain N Sparkplug NDATA-sized messages buffered while the broker was down, from broker start to
 * the last one at a subscriber, QoS 2; (2) latency from a policy switch in the scheduler state to the
 * NDATA carrying it at a Sparkplug host application, with the default change rate (10 Hz).
 * Usage: {@code java -cp benchmarks/target/benchmarks.jar io.isochron.mqtt.internal.MqttBenchmark [N] [SWITCHES]}
 */
public final class MqttBenchmark {
    private MqttBenchmark() {}

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int switches = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        Path dir = Files.createTempDirectory("mqtt-bench");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Files.writeString(dir.resolve("mosquitto.conf"), "listener " + port + " 127.0.0.1\nallow_anonymous true\nmax_queued_messages 100000\nuser "
                + System.getProperty("user.name") + "\n");
        Path conf = dir.resolve("mosquitto.conf");
        int round = 0;
        for (int qos : new int[] {2, 1}) {
            for (int i = 0; i < 3; i++, round++) {
                drain(dir.resolve("drain-" + round), conf, port, n, round, qos);
            }
        }
        latency(dir.resolve("latency"), conf, port, switches);
    }

    private static Process broker(Path conf, int port) throws Exception {
        Process p = new ProcessBuilder("mosquitto", "-c", conf.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        for (int i = 0; i < 200; i++) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 100);
                return p;
            } catch (java.io.IOException notYet) {
                Thread.sleep(25);
            }
        }
        throw new IllegalStateException("mosquitto did not start");
    }

    private static void drain(Path dir, Path conf, int port, int n, int round, int qos) throws Exception {
        String uri = "tcp://127.0.0.1:" + port;
        Files.createDirectories(dir);
        byte[] payload = new byte[300];
        try (DurableQueue q = DurableQueue.open(dir.resolve("queue"), 64L << 20, 4L << 20, false)) {
            for (int i = 0; i < n; i++) {
                q.append("bench/drain", qos, payload);
            }
        }
        Process broker = broker(conf, port);
        try {
            CountDownLatch all = new CountDownLatch(n);
            MqttClient sub = new MqttClient(uri, "bench-sub-" + round, new MemoryPersistence());
            MqttConnectOptions o = new MqttConnectOptions();
            o.setMaxInflight(1000);
            sub.connect(o);
            sub.subscribe("bench/#", qos, (t, m) -> all.countDown());
            long start = System.nanoTime();
            try (DurableQueue q = DurableQueue.open(dir.resolve("queue"), 64L << 20, 4L << 20, false)) {
                var pub = new io.isochron.mqtt.transport.StoreAndForwardPublisher(q, dir.resolve("session"),
                        new io.isochron.mqtt.transport.StoreAndForwardPublisher.Settings(uri, "bench-pub-" + round, "",
                                new char[0], null, 250, 30_000, 10, Integer.getInteger("inflight", TelemetryPublisher.MAX_INFLIGHT)),
                        io.isochron.mqtt.transport.StoreAndForwardPublisher.Session.plain());
                pub.start();
                if (!all.await(60, TimeUnit.SECONDS)) {
                    throw new IllegalStateException(all.getCount() + " messages missing");
                }
                long elapsed = System.nanoTime() - start;
                System.out.printf("drain round %d: %d buffered messages (300 B, QoS %d) at the subscriber in %.3f s (%.0f msg/s)%n",
                        round, n, qos, elapsed / 1e9, n / (elapsed / 1e9));
                pub.close();
            }
            sub.disconnect();
            sub.close();
        } finally {
            broker.destroy();
            broker.waitFor();
        }
    }

    private static void latency(Path dir, Path conf, int port, int switches) throws Exception {
        String uri = "tcp://127.0.0.1:" + port;
        Files.createDirectories(dir);
        Process broker = broker(conf, port);
        try {
            String[] policies = {"interference-aware", "shortest-queue"};
            AtomicInteger current = new AtomicInteger();
            AtomicLong switchedAt = new AtomicLong();
            AtomicLong decisions = new AtomicLong();
            Histogram micros = new Histogram(3);
            SwitchLatch seen = new SwitchLatch();
            MqttClient host = new MqttClient(uri, "bench-host", new MemoryPersistence());
            host.connect();
            host.subscribe("spBv1.0/bench/NDATA/#", 0, (t, m) -> {
                long now = System.nanoTime();
                for (Metric metric : new SparkplugBPayloadDecoder().buildFromByteArray(m.getPayload(), null).getMetrics()) {
                    if (metric.getName().equals("Scheduler/ActivePolicy")
                            && policies[current.get() % 2].equals(metric.getValue()) && seen.first()) {
                        micros.recordValue((now - switchedAt.get()) / 1000);
                        seen.release();
                    }
                }
            });
            TelemetryPublisher p = new TelemetryPublisher(new TelemetryPublisher.Options(uri, MqttConfig.Format.SPARKPLUG,
                    "bench", "edge", "bench-edge", 1000, 100, 1, "", new char[0], null, dir.resolve("buffer"),
                    64L << 20, false, false), () -> new SchedulerState(System.currentTimeMillis(), "bench",
                            policies[current.get() % 2], 0, policies[current.get() % 2], decisions.incrementAndGet(), 1,
                            Health.NORMAL, "", List.of(new SchedulerState.Pcpu(0, "", IoCategory.NONE, 0)), List.of(),
                            List.of()), List::of, () -> null);
            p.start();
            Thread.sleep(2000);
            for (int i = 1; i <= switches; i++) {
                seen.arm();
                switchedAt.set(System.nanoTime());
                current.set(i);
                if (!seen.await(5)) {
                    throw new IllegalStateException("switch " + i + " never published");
                }
                Thread.sleep(50 + (i * 37) % 150); // desynchronise from the 100 ms change tick
            }
            p.close();
            host.disconnect();
            host.close();
            System.out.printf("policy switch -> NDATA at the host, %d switches, QoS 1, change rate 10 Hz: "
                    + "p50 %.1f ms, p99 %.1f ms, max %.1f ms%n", switches, micros.getValueAtPercentile(50) / 1e3,
                    micros.getValueAtPercentile(99) / 1e3, micros.getMaxValue() / 1e3);
        } finally {
            broker.destroy();
            broker.waitFor();
        }
    }

    /** One pending switch at a time. */
    private static final class SwitchLatch {
        private volatile CountDownLatch latch = new CountDownLatch(0);
        private final java.util.concurrent.atomic.AtomicBoolean armed = new java.util.concurrent.atomic.AtomicBoolean();

        void arm() {
            latch = new CountDownLatch(1);
            armed.set(true);
        }

        boolean first() {
            return armed.compareAndSet(true, false);
        }

        void release() {
            latch.countDown();
        }

        boolean await(int seconds) throws InterruptedException {
            return latch.await(seconds, TimeUnit.SECONDS);
        }
    }
}
