package io.isochron.mqtt.transport;

import io.isochron.log.RateLimitedLog;
import io.isochron.mqtt.buffer.DurableQueue;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLSocketFactory;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;

/**
 * Publishes through a {@link DurableQueue}: every message is stored first and sent by one sender
 * thread in order. The sender owns the connection: it connects, reconnects with exponential backoff
 * (also when the very first connect fails, which Paho's own reconnect does not retry), and logs an
 * outage once when it starts, at most once a minute while it lasts, and once when it ends — never an
 * exception storm.
 *
 * <p>Delivery: a message leaves the queue only once Paho has written it to its own file store
 * (persistent session, {@code cleanSession=false}); a message in flight when the connection breaks
 * is completed by Paho after the reconnect under its original packet id. With QoS 2 the broker
 * therefore delivers every message exactly once and in order; with QoS 1 the in-flight messages of a
 * broken connection may arrive twice. When the buffer is full the oldest messages are dropped and
 * counted.
 *
 * <p>At most {@code maxInflight} messages are in Paho's store at any time — that is what the broker
 * sees in flight and what Paho re-sends after a reconnect or a restart. A killed process therefore
 * re-sends at most those, under their packet ids, plus once more the one message Paho had stored but
 * the buffer had not yet recorded as handed over: with QoS 2 at most one message arrives twice, with
 * QoS 1 at most {@code maxInflight}.
 */
public final class StoreAndForwardPublisher implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("io.isochron.mqtt");
    /** An outage is reported when it starts and at most once a minute while it lasts. */
    private final RateLimitedLog outageLog = new RateLimitedLog(LOG, Duration.ofMinutes(1));
    /** Paho's own limit, above ours: it also counts deliveries it restored from its store. */
    private static final int PAHO_MAX_INFLIGHT = 2000;

    /**
     * @param serverUri e.g. {@code tcp://127.0.0.1:1883} or {@code ssl://host:8883}
     * @param username empty for none
     * @param socketFactory for {@code ssl://} URIs, null for the JVM default
     * @param maxInflight messages handed to Paho and not yet acknowledged by the broker
     */
    public record Settings(String serverUri, String clientId, String username, char[] password,
            SSLSocketFactory socketFactory, long minBackoffMillis, long maxBackoffMillis, int timeoutSeconds,
            int maxInflight) {
        public Settings {
            if (minBackoffMillis < 1 || maxBackoffMillis < minBackoffMillis) {
                throw new IllegalArgumentException("backoff must satisfy 1 <= min <= max, got " + minBackoffMillis
                        + ".." + maxBackoffMillis + " ms");
            }
            if (timeoutSeconds < 1) {
                throw new IllegalArgumentException("timeoutSeconds must be >= 1, got " + timeoutSeconds);
            }
            if (maxInflight < 1 || maxInflight > 1000) {
                throw new IllegalArgumentException("maxInflight must be 1..1000, got " + maxInflight);
            }
        }
    }

    /** A message sent directly, outside the buffer (births, will). */
    public record Outgoing(String topic, int qos, boolean retained, byte[] payload) {}

    /** What the protocol on top (Sparkplug, JSON) does at the edges of a connection. */
    public interface Session {
        /** The will to register with the next connect, or null. Called on the sender thread. */
        Outgoing will();

        /**
         * Called on the sender thread after every connect, and again after {@link #refreshSession}:
         * messages that go out before anything from the buffer (births).
         */
        List<Outgoing> opened();

        /** The payload to send for a buffered message (e.g. with the session's sequence number). */
        byte[] prepare(DurableQueue.Message message);

        /** Topic filters to subscribe to (at QoS 1) after every connect. */
        List<String> subscriptions();

        /** A message arrived on one of the subscriptions; called on Paho's thread, must not block. */
        void received(String topic, byte[] payload);

        /** Sent when the publisher closes while connected, before the clean disconnect, or null. */
        Outgoing closing();

        /** No protocol on top: no will, no births, no subscriptions; payloads go out as buffered. */
        static Session plain() {
            return new Session() {
                @Override
                public Outgoing will() {
                    return null;
                }

                @Override
                public List<Outgoing> opened() {
                    return List.of();
                }

                @Override
                public byte[] prepare(DurableQueue.Message message) {
                    return message.payload();
                }

                @Override
                public List<String> subscriptions() {
                    return List.of();
                }

                @Override
                public void received(String topic, byte[] payload) {
                    // nothing subscribed
                }

                @Override
                public Outgoing closing() {
                    return null;
                }
            };
        }
    }

    /**
     * What the publisher is doing, for health and telemetry.
     *
     * @param produced messages given to {@link #publish} since it started
     * @param sent messages the broker confirmed, including births
     */
    public record Status(boolean connected, long produced, int queued, long sent, long dropped, long reconnects,
            String lastError) {}

    private final DurableQueue queue;
    private final Settings settings;
    private final Session session;
    private final Path sessionStoreDir;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    /** Signalled only by close(): backoff waits must not end early when new messages arrive. */
    private final Condition stopped = lock.newCondition();
    private final Thread sender;
    private final ArrayDeque<IMqttDeliveryToken> inflight = new ArrayDeque<>();
    private volatile boolean running = true;
    private volatile boolean connected;
    private volatile boolean refresh;
    private volatile long produced;
    private volatile long sent;
    private volatile long reconnects;
    private volatile String lastError = "";
    private MqttAsyncClient client;
    /** The connected client's store: what is in it is in flight, and is re-sent after a reconnect or restart. */
    private SessionStore store;

    /**
     * @param sessionStore where Paho keeps the messages it is delivering (next to the buffer, so both
     *     survive a restart together)
     */
    public StoreAndForwardPublisher(DurableQueue queue, Path sessionStore, Settings settings, Session session) {
        this.queue = queue;
        this.sessionStoreDir = sessionStore;
        this.settings = settings;
        this.session = session;
        this.sender = new Thread(this::run, "isochron-mqtt-sender");
        this.sender.setDaemon(true);
    }

    public void start() {
        sender.start();
    }

    /** Stores the message for sending; returns at once. */
    public void publish(String topic, int qos, byte[] payload) throws IOException {
        queue.append(topic, qos, payload);
        produced++;
        wake();
    }

    /** Asks the sender to run {@link Session#opened()} again (e.g. a Sparkplug rebirth request). */
    public void refreshSession() {
        refresh = true;
        wake();
    }

    private void wake() {
        lock.lock();
        try {
            work.signalAll();
        } finally {
            lock.unlock();
        }
    }

    public Status status() {
        return new Status(connected, produced, queue.size(), sent, queue.dropped(), reconnects, lastError);
    }

    private void run() {
        long backoff = settings.minBackoffMillis();
        long outageSince = 0;
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
                    refresh = true;
                }
                if (refresh) {
                    refresh = false;
                    for (Outgoing o : session.opened()) {
                        send(o.topic(), o.payload(), o.qos(), o.retained());
                    }
                }
                DurableQueue.Message m = queue.peek();
                if (m == null) {
                    awaitWork();
                    continue;
                }
                forward(m);
            } catch (MqttException | RuntimeException e) {
                lastError = String.valueOf(e.getMessage() != null ? e.getMessage() : e);
                disconnect();
                attempts++;
                long now = System.nanoTime();
                if (outageSince == 0) {
                    outageSince = now;
                    outageLog.log(Level.WARNING, "MQTT broker " + settings.serverUri() + " unreachable (" + lastError
                            + "); buffering telemetry on disk and retrying with backoff");
                } else {
                    outageLog.log(Level.WARNING, String.format("MQTT broker %s still unreachable after %d attempts (%s); "
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
        sendBufferedBeforeStop();
        closeSession();
    }

    /**
     * A clean stop with the broker reachable sends what is still buffered first, for up to the
     * timeout: a planned stop (an update, a reboot) does not strand the last data until the next
     * start. What is left, or everything when the broker is gone, stays buffered.
     */
    private void sendBufferedBeforeStop() {
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(settings.timeoutSeconds());
        try {
            DurableQueue.Message m;
            while (connected && System.nanoTime() < giveUp && (m = queue.peek()) != null) {
                forward(m);
            }
        } catch (MqttException | IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "stopping with " + queue.size() + " MQTT messages still buffered for the next start ("
                    + e.getMessage() + ")");
        }
    }

    /** Sends the oldest buffered message and takes it out of the buffer. */
    private void forward(DurableQueue.Message m) throws MqttException, IOException {
        send(m.topic(), session.prepare(m), m.qos(), false);
        // Paho has stored it (QoS > 0) and owns its delivery from here, across reconnects.
        queue.acknowledge(m.sequence());
    }

    /**
     * Hands one message to Paho, keeping at most maxInflight unconfirmed and stored. While running it
     * waits for a slot as long as it takes (a broken connection shows as another error); while
     * closing (the NDEATH of a clean stop) for up to the timeout.
     */
    private void send(String topic, byte[] payload, int qos, boolean retained) throws MqttException {
        while (inflight.size() >= settings.maxInflight()) {
            awaitOldest();
        }
        awaitStoreRoom();
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(settings.timeoutSeconds());
        while (true) {
            try {
                inflight.add(client.publish(topic, payload, qos, retained));
                return;
            } catch (MqttException e) {
                // Paho also counts deliveries restored from its store and releases a slot a moment
                // after the token completes: back-pressure, not a broken connection.
                if (e.getReasonCode() != MqttException.REASON_CODE_MAX_INFLIGHT || (!running && System.nanoTime() > giveUp)) {
                    throw e;
                }
                if (!inflight.isEmpty()) {
                    awaitOldest();
                } else {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
                }
            }
        }
    }

    /**
     * Paho drops a message from its store a moment after completing its token, and after a
     * reconnect or restart re-sends everything stored before anything new: the store, not our
     * tokens, is what the broker sees in flight (beyond its limit Mosquitto drops QoS 2 messages,
     * answering "quota exceeded", which an MQTT 3.1.1 client does not see) and what a crash sends again.
     */
    private void awaitStoreRoom() throws MqttException {
        try {
            if (!store.awaitOutgoingBelow(settings.maxInflight(), TimeUnit.SECONDS.toMillis(settings.timeoutSeconds()))) {
                throw new MqttException(MqttException.REASON_CODE_CLIENT_TIMEOUT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
            throw new MqttException(e);
        }
    }

    private void awaitOldest() throws MqttException {
        IMqttDeliveryToken oldest = inflight.peek();
        oldest.waitForCompletion(TimeUnit.SECONDS.toMillis(settings.timeoutSeconds()));
        if (!oldest.isComplete()) {
            throw new MqttException(MqttException.REASON_CODE_CLIENT_TIMEOUT);
        }
        inflight.remove();
        sent++;
    }

    private void connect() throws MqttException {
        SessionStore sessionStore = new SessionStore(sessionStoreDir, queue.forcesWrites());
        MqttAsyncClient c = new MqttAsyncClient(settings.serverUri(), settings.clientId(), sessionStore);
        MqttConnectOptions o = new MqttConnectOptions();
        o.setCleanSession(false);
        o.setAutomaticReconnect(false);
        o.setMaxInflight(PAHO_MAX_INFLIGHT);
        o.setConnectionTimeout(settings.timeoutSeconds());
        o.setKeepAliveInterval(Math.max(5, settings.timeoutSeconds() * 2));
        if (!settings.username().isEmpty()) {
            o.setUserName(settings.username());
            o.setPassword(settings.password());
        }
        if (settings.socketFactory() != null) {
            o.setSocketFactory(settings.socketFactory());
        }
        Outgoing will = session.will();
        if (will != null) {
            o.setWill(will.topic(), will.payload(), will.qos(), will.retained());
        }
        try {
            c.connect(o).waitForCompletion(TimeUnit.SECONDS.toMillis(settings.timeoutSeconds() + 1L));
            for (String filter : session.subscriptions()) {
                c.subscribe(filter, 1, (topic, message) -> session.received(topic, message.getPayload()))
                        .waitForCompletion(TimeUnit.SECONDS.toMillis(settings.timeoutSeconds()));
            }
        } catch (MqttException e) {
            release(c);
            throw e;
        }
        client = c;
        store = sessionStore;
        connected = true;
        reconnects++;
    }

    private void disconnect() {
        connected = false;
        inflight.clear();
        MqttAsyncClient c = client;
        client = null;
        store = null;
        if (c != null) {
            release(c);
        }
    }

    private static void release(MqttAsyncClient c) {
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

    /** On close while connected: let in-flight deliveries finish, say goodbye, disconnect cleanly. */
    private void closeSession() {
        MqttAsyncClient c = client;
        if (c != null && connected) {
            try {
                while (!inflight.isEmpty()) {
                    awaitOldest();
                }
                Outgoing bye = session.closing();
                if (bye != null) {
                    send(bye.topic(), bye.payload(), bye.qos(), bye.retained());
                    awaitOldest();
                }
                c.disconnect(TimeUnit.SECONDS.toMillis(settings.timeoutSeconds()))
                        .waitForCompletion(TimeUnit.SECONDS.toMillis(settings.timeoutSeconds()));
            } catch (MqttException | RuntimeException e) {
                LOG.log(Level.DEBUG, "MQTT clean disconnect failed: " + e);
            }
        }
        disconnect();
    }

    private void awaitWork() throws MqttException {
        // Confirm what is in flight while idle so that sent counts are current.
        while (!inflight.isEmpty() && inflight.peek().isComplete()) {
            awaitOldest();
        }
        lock.lock();
        try {
            if (queue.size() == 0 && running && !refresh) {
                work.await(inflight.isEmpty() ? 1000 : 20, TimeUnit.MILLISECONDS);
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

    /**
     * Stops the sender: with the broker reachable it sends what is buffered first (for up to the
     * timeout); what is not sent stays in the buffer for the next start.
     */
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
        sender.join(TimeUnit.SECONDS.toMillis(2L * settings.timeoutSeconds() + 5L));
    }
}
