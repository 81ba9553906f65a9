package io.isochron.mqtt.internal;

import io.isochron.api.runtime.JitterStats;
import io.isochron.api.runtime.PolicyControl;
import io.isochron.api.runtime.SchedulerState;
import io.isochron.api.runtime.TelemetryBufferStats;
import io.isochron.api.telemetry.Snapshot;
import io.isochron.api.telemetry.TelemetryModel;
import io.isochron.log.RateLimitedLog;
import io.isochron.mqtt.buffer.DurableQueue;
import io.isochron.mqtt.json.JsonTelemetry;
import io.isochron.mqtt.sparkplug.SparkplugEdgeNode;
import io.isochron.mqtt.transport.StoreAndForwardPublisher;
import io.isochron.mqtt.transport.StoreAndForwardPublisher.Outgoing;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.net.ssl.SSLSocketFactory;

/**
 * Samples the scheduler state and publishes it — at the publishing interval, and sooner (up to the
 * change rate) when something an operator acts on changes — through the store-and-forward
 * publisher, as Sparkplug B or plain JSON. Plain Java: the DS component only feeds it configuration
 * and services.
 */
public final class TelemetryPublisher implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("io.isochron.mqtt");
    /**
     * Below Mosquitto's default max_inflight_messages (20): for MQTT 3.1.1 clients it silently drops
     * QoS 1/2 messages beyond that (measured: 10,000 drained with 32 in flight lost 22–333).
     */
    static final int MAX_INFLIGHT = 16;
    static final String NCMD_POLICY = "Scheduler/ActivePolicy";
    static final String NCMD_OVERLAP = "Scheduler/OverlapPercent";

    public record Options(String brokerUri, MqttConfig.Format format, String groupId, String edgeNodeId,
            String clientId, long intervalMillis, long minChangeMillis, int qos, String username, char[] password,
            SSLSocketFactory socketFactory, Path bufferDirectory, long bufferBytes, boolean bufferSync,
            boolean commandsEnabled) {}

    private final Options options;
    private final Supplier<SchedulerState> state;
    private final Supplier<List<JitterStats>> jitter;
    private final Supplier<PolicyControl> control;
    private final DurableQueue queue;
    private final StoreAndForwardPublisher publisher;
    private final SparkplugEdgeNode sparkplug;
    private final JsonTelemetry json;
    private final ScheduledExecutorService ticker;
    // Ticker thread only.
    private final Set<String> publishedVms = new LinkedHashSet<>();
    private List<Object> lastKey;
    private boolean firstPublication = true;
    private long lastPublishNanos;
    private long dropsSeen;
    private final RateLimitedLog dropLog = new RateLimitedLog(LOG, Duration.ofMinutes(1));
    private final RateLimitedLog failureLog = new RateLimitedLog(LOG, Duration.ofMinutes(1));
    private final RateLimitedLog commandLog = new RateLimitedLog(LOG, Duration.ofSeconds(10));

    public TelemetryPublisher(Options options, Supplier<SchedulerState> state, Supplier<List<JitterStats>> jitter,
            Supplier<PolicyControl> control) throws IOException {
        this.options = options;
        this.state = state;
        this.jitter = jitter;
        this.control = control;
        Files.createDirectories(options.bufferDirectory());
        this.sparkplug = options.format() == MqttConfig.Format.SPARKPLUG
                ? new SparkplugEdgeNode(options.groupId(), options.edgeNodeId(), readBdSeq()) : null;
        this.json = options.format() == MqttConfig.Format.JSON ? new JsonTelemetry(options.edgeNodeId()) : null;
        this.queue = DurableQueue.open(options.bufferDirectory().resolve("queue"), options.bufferBytes(),
                Math.min(options.bufferBytes() / 4, 4L << 20), options.bufferSync());
        this.publisher = new StoreAndForwardPublisher(queue, options.bufferDirectory().resolve("session"),
                new StoreAndForwardPublisher.Settings(options.brokerUri(), options.clientId(), options.username(),
                        options.password(), options.socketFactory(), 250, 30_000, 10, MAX_INFLIGHT),
                sparkplug != null ? new SparkplugSession() : new JsonSession());
        this.ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "isochron-mqtt-telemetry");
            t.setDaemon(true);
            return t;
        });
    }

    public void start() {
        publisher.start();
        ticker.scheduleAtFixedRate(this::tick, 0, options.minChangeMillis(), TimeUnit.MILLISECONDS);
        LOG.log(Level.INFO, String.format("MQTT telemetry (%s) to %s as %s, every %d ms, on change up to every %d ms; "
                + "%d messages buffered from before", options.format(), options.brokerUri(), options.edgeNodeId(),
                options.intervalMillis(), options.minChangeMillis(), queue.size()));
    }

    public StoreAndForwardPublisher.Status status() {
        return publisher.status();
    }

    /** The buffer's counters, for every telemetry channel (the bundle's TelemetryBuffer service). */
    public TelemetryBufferStats bufferStats() {
        return new TelemetryBufferStats(queue.size(), queue.dropped(), queue.corrupt());
    }

    private Snapshot values() {
        return TelemetryModel.of(state.get(), jitter.get(), bufferStats());
    }

    private void tick() {
        try {
            Snapshot v = values();
            List<Object> key = v.discreteKey();
            long now = System.nanoTime();
            if (now - lastPublishNanos >= TimeUnit.MILLISECONDS.toNanos(options.intervalMillis())
                    || !key.equals(lastKey)) {
                lastKey = key;
                lastPublishNanos = now;
                publish(v);
            }
            reportDrops();
        } catch (IOException | RuntimeException e) {
            // The ticker must survive anything: a failed tick is retried at the next one.
            failureLog.log(Level.ERROR, "MQTT telemetry could not be buffered: " + e);
        }
    }

    private void publish(Snapshot v) throws IOException {
        if (firstPublication) {
            // The VMs there at start are announced by the session's births.
            publishedVms.addAll(v.vms());
        }
        firstPublication = false;
        int qos = options.qos();
        long ts = v.timestampMillis();
        List<String> gone = new ArrayList<>(publishedVms);
        gone.removeAll(v.vms());
        if (sparkplug != null) {
            for (String vm : gone) {
                enqueue(sparkplug.deviceDeath(vm, ts), qos);
            }
            enqueue(sparkplug.nodeData(v), qos);
            for (String vm : v.vms()) {
                Map<String, Object> metrics = v.vmValues(vm);
                enqueue(publishedVms.contains(vm) ? sparkplug.deviceData(vm, metrics, ts)
                        : sparkplug.deviceBirth(vm, metrics, ts), qos);
            }
        } else {
            for (String vm : gone) {
                publisher.publish(json.vmTopic(vm), qos, json.vmGone(ts));
            }
            publisher.publish(json.nodeTopic(), qos, json.node(v));
            for (String vm : v.vms()) {
                publisher.publish(json.vmTopic(vm), qos, json.vm(ts, v.vmValues(vm)));
            }
        }
        publishedVms.clear();
        publishedVms.addAll(v.vms());
    }

    private void enqueue(SparkplugEdgeNode.Message m, int qos) throws IOException {
        publisher.publish(m.topic(), qos, m.payload());
    }

    /** Once per tick that dropped messages, rate-limited: the line carries the total. */
    private void reportDrops() {
        long dropped = queue.dropped();
        if (dropped > dropsSeen) {
            dropsSeen = dropped;
            dropLog.log(Level.WARNING, String.format("MQTT buffer full (%d MiB in %s): %d oldest messages dropped so far",
                    options.bufferBytes() >> 20, options.bufferDirectory(), dropped));
        }
    }

    private long readBdSeq() {
        try {
            return Long.parseLong(Files.readString(bdSeqFile()).trim());
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    private Path bdSeqFile() {
        return options.bufferDirectory().resolve("bdseq");
    }

    private void writeBdSeq(long next) {
        try {
            Path tmp = bdSeqFile().resolveSibling("bdseq.tmp");
            Files.writeString(tmp, Long.toString(next));
            Files.move(tmp, bdSeqFile(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot keep the Sparkplug bdSeq in " + bdSeqFile() + ": " + e.getMessage());
        }
    }

    /** Runs a policy command from NCMD: only when enabled; a bad one is reported, never thrown. */
    void command(Map<String, Object> metrics) {
        Object policy = metrics.get(NCMD_POLICY);
        if (policy == null) {
            return;
        }
        PolicyControl pc = control.get();
        String refusal = null;
        if (!options.commandsEnabled()) {
            refusal = "commands are disabled (set commandsEnabled in " + MqttTelemetry.PID + ")";
        } else if (pc == null) {
            refusal = "the scheduler is not running";
        } else {
            try {
                Object overlap = metrics.get(NCMD_OVERLAP);
                double o = overlap instanceof Number n ? n.doubleValue() : pc.active().overlapPercent();
                String previous = pc.switchPolicy(String.valueOf(policy), o);
                LOG.log(Level.INFO, "NCMD switched the policy from " + previous + " to " + policy + " (overlap " + o + ")");
                return;
            } catch (IllegalArgumentException e) {
                refusal = e.getMessage();
            }
        }
        commandLog.log(Level.WARNING, "NCMD policy switch to '" + policy + "' refused: " + refusal);
    }

    private final class SparkplugSession implements StoreAndForwardPublisher.Session {
        @Override
        public Outgoing will() {
            SparkplugEdgeNode.Message death = sparkplug.openSession();
            writeBdSeq(sparkplug.nextBdSeq());
            return new Outgoing(death.topic(), 1, false, death.payload());
        }

        @Override
        public List<Outgoing> opened() {
            List<Outgoing> out = new ArrayList<>();
            for (SparkplugEdgeNode.Message m : sparkplug.births(values())) {
                out.add(new Outgoing(m.topic(), options.qos(), false, m.payload()));
            }
            return out;
        }

        @Override
        public byte[] prepare(DurableQueue.Message m) {
            return sparkplug.sequence(m.payload());
        }

        @Override
        public List<String> subscriptions() {
            return List.of(sparkplug.topic("NCMD"));
        }

        @Override
        public void received(String topic, byte[] payload) {
            Map<String, Object> metrics;
            try {
                metrics = SparkplugEdgeNode.commandMetrics(payload);
            } catch (IllegalArgumentException e) {
                LOG.log(Level.WARNING, "ignored an NCMD on " + topic + ": " + e.getMessage());
                return;
            }
            if (Boolean.TRUE.equals(metrics.get(SparkplugEdgeNode.REBIRTH))) {
                publisher.refreshSession();
            }
            // Off Paho's callback thread: a switch waits until the scheduler applied it, and Paho
            // completes deliveries on that thread.
            ticker.execute(() -> command(metrics));
        }

        @Override
        public Outgoing closing() {
            SparkplugEdgeNode.Message death = sparkplug.closeSession();
            return new Outgoing(death.topic(), 1, false, death.payload());
        }
    }

    private final class JsonSession implements StoreAndForwardPublisher.Session {
        @Override
        public Outgoing will() {
            return new Outgoing(json.onlineTopic(), 1, true, json.online(false));
        }

        @Override
        public List<Outgoing> opened() {
            return List.of(new Outgoing(json.onlineTopic(), 1, true, json.online(true)));
        }

        @Override
        public byte[] prepare(DurableQueue.Message m) {
            return m.payload();
        }

        @Override
        public List<String> subscriptions() {
            return List.of();
        }

        @Override
        public void received(String topic, byte[] payload) {
            LOG.log(Level.DEBUG, "unexpected message on " + topic + ": " + new String(payload, StandardCharsets.UTF_8));
        }

        @Override
        public Outgoing closing() {
            return will();
        }
    }

    /** Stops sampling, then sending (see {@link StoreAndForwardPublisher#close}). */
    @Override
    public void close() throws IOException, InterruptedException {
        // No interrupt: an interrupted FileChannel write closes the buffer's channel.
        ticker.shutdown();
        ticker.awaitTermination(5, TimeUnit.SECONDS);
        publisher.close();
        queue.close();
    }
}
