package io.isochron.mqtt.transport;

import io.isochron.mqtt.buffer.DurableQueue;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

/**
 * Publishes through a {@link DurableQueue}: every message is stored first and sent by one sender
 * thread in order, removed only after the broker has acknowledged it. The sender owns the
 * connection: it connects, reconnects with exponential backoff (also when the very first connect
 * fails, which Paho's own reconnect does not retry), and logs an outage once when it starts, at
 * most once a minute while it lasts, and once when it ends — never an exception storm.
 *
 * <p>Delivery: in order, nothing lost while the buffer has room (then the oldest are dropped and
 * counted); a message in flight when the connection breaks is sent again, so a subscriber may see
 * that one message twice.
 */
public final class StoreAndForwardPublisher implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("io.isochron.mqtt");
    private static final long OUTAGE_REPORT_NANOS = TimeUnit.MINUTES.toNanos(1);

    /**
     * @param serverUri e.g. {@code tcp://127.0.0.1:1883} or {@code ssl://host:8883}
     * @param username empty for none
     */
    public record Settings(String serverUri, String clientId, String username, char[] password,
            long minBackoffMillis, long maxBackoffMillis, int timeoutSeconds) {
        public Settings {
            if (minBackoffMillis < 1 || maxBackoffMillis < minBackoffMillis) {
                throw new IllegalArgumentException("backoff must satisfy 1 <= min <= max, got " + minBackoffMillis
                        + ".." + maxBackoffMillis + " ms");
            }
            if (timeoutSeconds < 1) {
                throw new IllegalArgumentException("timeoutSeconds must be >= 1, got " + timeoutSeconds);
            }
        }
    }

    /** What the publisher is doing, for health and telemetry. */
    public record Status(boolean connected, int queued, long sent, long dropped, long reconnects, String lastError) {}

    private final DurableQueue queue;
    private final Settings settings;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    /** Signalled only by close(): backoff waits must not end early when new messages arrive. */
    private final Condition stopped = lock.newCondition();
    private final Thread sender;
    private volatile boolean running = true;
    private volatile boolean connected;
    private volatile long sent;
    private volatile long reconnects;
    private volatile String lastError = "";
    private MqttClient client;

    public StoreAndForwardPublisher(DurableQueue queue, Settings settings) {
        this.queue = queue;
        this.settings = settings;
        this.sender = new Thread(this::run, "isochron-mqtt-sender");
        this.sender.setDaemon(true);
    }

    public void start() {
        sender.start();
    }

    /** Stores the message for sending; returns at once. */
    public void publish(String topic, int qos, byte[] payload) throws IOException {
        queue.append(topic, qos, payload);
        lock.lock();
        try {
            work.signalAll();
        } finally {
            lock.unlock();
        }
    }

    public Status status() {
        return new Status(connected, queue.size(), sent, queue.dropped(), reconnects, lastError);
    }

    private void run() {
        long backoff = settings.minBackoffMillis();
        long outageSince = 0;
        long lastReport = 0;
        int attempts = 0;
        while (running) {
            try {
                if (!connected) {
                    connect();
                    if (outageSince != 0) {
                        LOG.log(Level.INFO, String.format("MQTT broker %s reachable again after %d attempts in %.1f s; "
                                + "sending %d buffered messages", settings.serverUri(), attempts,
                                (System.nanoTime() - outageSince) / 1e9, queue.size()));
                    }
                    outageSince = 0;
                    attempts = 0;
                    backoff = settings.minBackoffMillis();
                }
                DurableQueue.Message m = queue.peek();
                if (m == null) {
                    awaitWork();
                    continue;
                }
                client.publish(m.topic(), m.payload(), m.qos(), false);
                queue.acknowledge(m.sequence());
                sent++;
            } catch (MqttException | RuntimeException e) {
                lastError = String.valueOf(e.getMessage() != null ? e.getMessage() : e);
                disconnect();
                attempts++;
                long now = System.nanoTime();
                if (outageSince == 0) {
                    outageSince = now;
                    lastReport = now;
                    LOG.log(Level.WARNING, "MQTT broker " + settings.serverUri() + " unreachable (" + lastError
                            + "); buffering telemetry on disk and retrying with backoff");
                } else if (now - lastReport > OUTAGE_REPORT_NANOS) {
                    lastReport = now;
                    LOG.log(Level.WARNING, String.format("MQTT broker %s still unreachable after %d attempts (%s); "
                            + "%d messages buffered, %d dropped", settings.serverUri(), attempts, lastError,
                            queue.size(), queue.dropped()));
                }
                sleep(backoff + ThreadLocalRandom.current().nextLong(backoff / 4 + 1));
                backoff = Math.min(settings.maxBackoffMillis(), backoff * 2);
            } catch (IOException e) {
                lastError = "buffer: " + e.getMessage();
                LOG.log(Level.ERROR, "MQTT store-and-forward buffer failed: " + e);
                sleep(settings.maxBackoffMillis());
            }
        }
        disconnect();
    }

    private void connect() throws MqttException {
        MqttClient c = new MqttClient(settings.serverUri(), settings.clientId(), new MemoryPersistence());
        MqttConnectOptions o = new MqttConnectOptions();
        o.setCleanSession(true);
        o.setAutomaticReconnect(false);
        o.setConnectionTimeout(settings.timeoutSeconds());
        o.setKeepAliveInterval(Math.max(5, settings.timeoutSeconds() * 2));
        if (!settings.username().isEmpty()) {
            o.setUserName(settings.username());
            o.setPassword(settings.password());
        }
        c.setTimeToWait(TimeUnit.SECONDS.toMillis(settings.timeoutSeconds()));
        try {
            c.connect(o);
        } catch (MqttException e) {
            try {
                c.close(true);
            } catch (MqttException ignored) {
                // nothing more to release
            }
            throw e;
        }
        client = c;
        connected = true;
        reconnects++;
    }

    private void disconnect() {
        connected = false;
        MqttClient c = client;
        client = null;
        if (c != null) {
            try {
                c.disconnectForcibly(0, 1000, false);
            } catch (MqttException ignored) {
                // already broken
            }
            try {
                c.close(true);
            } catch (MqttException ignored) {
                // already closed
            }
        }
    }

    private void awaitWork() {
        lock.lock();
        try {
            if (queue.size() == 0 && running) {
                work.await(1, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        } finally {
            lock.unlock();
        }
    }

    private void sleep(long millis) {
        lock.lock();
        try {
            if (running) {
                stopped.await(millis, TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        } finally {
            lock.unlock();
        }
    }

    /** Stops the sender; what is not sent yet stays in the buffer for the next start. */
    @Override
    public void close() throws InterruptedException {
        running = false;
        lock.lock();
        try {
            work.signalAll();
            stopped.signalAll();
        } finally {
            lock.unlock();
        }
        sender.join(TimeUnit.SECONDS.toMillis(settings.timeoutSeconds() + 5L));
    }
}
