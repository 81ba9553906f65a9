package io.isochron.bridge.kvm.qmp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Map.Entry;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * A client of QEMU's QMP monitor on a unix socket: the greeting and capability negotiation,
 * commands correlated by id, and events delivered to a {@link QmpListener}.
 *
 * <p>One reader thread owns the socket's input. Commands may be issued from any thread; each waits
 * for its own answer. When the socket ends (QEMU exited) every waiting command fails with
 * {@link QmpException.Reason#DISCONNECTED}, later ones fail at once, and the listener hears
 * {@code onDisconnected} exactly once. A client is not reused after that: {@link #reconnect()} opens
 * a new one.
 */
public final class QmpClient implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long RETRY_MILLIS = 50;

    private final Path socket;
    private final Duration timeout;
    private final QmpListener listener;
    private final SocketChannel channel;
    private final ExecutorService events;
    private final Thread reader;
    private final Object writeLock = new Object();
    private final AtomicLong ids = new AtomicLong();
    /** Commands waiting for an answer, by id; ordered, because QEMU answers in order. */
    private final ConcurrentSkipListMap<Long, CompletableFuture<JsonNode>> pending = new ConcurrentSkipListMap<>();
    private final CompletableFuture<JsonNode> greeting = new CompletableFuture<>();
    private volatile String disconnectReason;
    private volatile boolean closing;

    private QmpClient(Path socket, Duration timeout, QmpListener listener, SocketChannel channel) {
        this.socket = socket;
        this.timeout = timeout;
        this.listener = listener;
        this.channel = channel;
        this.events = Executors.newSingleThreadExecutor(r -> daemon(r, "qmp-events " + socket.getFileName()));
        this.reader = daemon(this::readLoop, "qmp-reader " + socket.getFileName());
    }

    /**
     * Connects to the QMP socket, retrying while it does not accept yet (QEMU creates it shortly
     * after start), reads the greeting and leaves negotiation mode with {@code qmp_capabilities}.
     *
     * @param timeout bound for all of that, and the default bound of each later command
     */
    public static QmpClient connect(Path socket, Duration timeout, QmpListener listener) throws QmpException {
        long deadline = System.nanoTime() + timeout.toNanos();
        SocketChannel channel = open(socket, deadline);
        QmpClient client = new QmpClient(socket, timeout, listener, channel);
        client.reader.start();
        try {
            client.awaitGreeting(deadline);
            client.execute("qmp_capabilities", Map.of(), Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            return client;
        } catch (QmpException e) {
            client.close();
            throw e;
        }
    }

    /** A new connection to the same socket with the same listener and timeout (this one is closed). */
    public QmpClient reconnect() throws QmpException {
        close();
        return connect(socket, timeout, listener);
    }

    private static SocketChannel open(Path socket, long deadline) throws QmpException {
        while (true) {
            try {
                return SocketChannel.open(UnixDomainSocketAddress.of(socket));
            } catch (IOException notYet) {
                if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RETRY_MILLIS) > deadline) {
                    throw new QmpException(QmpException.Reason.DISCONNECTED, "connect",
                            "cannot connect to " + socket + ": " + notYet.getMessage(), null, notYet);
                }
            }
            try {
                Thread.sleep(RETRY_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new QmpException(QmpException.Reason.INTERRUPTED, "connect", "interrupted", null, e);
            }
        }
    }

    private void awaitGreeting(long deadline) throws QmpException {
        JsonNode hello = await("greeting", greeting, deadline - System.nanoTime());
        if (!hello.path("QMP").path("version").path("qemu").has("major")) {
            throw new QmpException(QmpException.Reason.PROTOCOL, "greeting", "no QEMU version in " + hello);
        }
    }

    /** QEMU's version from the greeting, e.g. {@code 7.2.0}. */
    public String qemuVersion() {
        JsonNode v = greeting.join().path("QMP").path("version").path("qemu");
        return v.path("major").asInt() + "." + v.path("minor").asInt() + "." + v.path("micro").asInt();
    }

    /** Runs a command without arguments with the client's timeout. */
    public JsonNode execute(String command) throws QmpException {
        return execute(command, Map.of(), timeout);
    }

    public JsonNode execute(String command, Map<String, ?> arguments) throws QmpException {
        return execute(command, arguments, timeout);
    }

    /**
     * Runs a command and returns its {@code return} value.
     *
     * @throws QmpException COMMAND_FAILED with QEMU's error class and description, TIMEOUT,
     *         DISCONNECTED, PROTOCOL or INTERRUPTED
     */
    public JsonNode execute(String command, Map<String, ?> arguments, Duration limit) throws QmpException {
        long id = ids.incrementAndGet();
        ObjectNode request = JSON.createObjectNode();
        request.put("execute", command);
        if (!arguments.isEmpty()) {
            request.set("arguments", JSON.valueToTree(arguments));
        }
        request.put("id", id);
        CompletableFuture<JsonNode> answer = new CompletableFuture<>();
        pending.put(id, answer);
        // Checked after registering: a disconnect either saw this command in pending or is seen here.
        String gone = disconnectReason;
        if (gone != null) {
            pending.remove(id);
            throw new QmpException(QmpException.Reason.DISCONNECTED, command, "disconnected: " + gone);
        }
        try {
            send(request);
        } catch (IOException e) {
            pending.remove(id);
            throw new QmpException(QmpException.Reason.DISCONNECTED, command, "cannot send: " + e.getMessage(), null, e);
        }
        JsonNode response;
        try {
            response = await(command, answer, limit.toNanos());
        } finally {
            pending.remove(id);
        }
        JsonNode error = response.get("error");
        if (error != null) {
            throw new QmpException(QmpException.Reason.COMMAND_FAILED, command,
                    error.path("desc").asText("(no description)"), error.path("class").asText(null), null);
        }
        return response.path("return");
    }

    private static JsonNode await(String command, CompletableFuture<JsonNode> answer, long nanos) throws QmpException {
        try {
            return answer.get(Math.max(0, nanos), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new QmpException(QmpException.Reason.TIMEOUT, command,
                    "no answer within " + Duration.ofNanos(nanos).toMillis() + " ms", null, e);
        } catch (ExecutionException e) {
            QmpException cause = (QmpException) e.getCause();
            throw new QmpException(cause.reason(), command, cause.getMessage(), null, cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new QmpException(QmpException.Reason.INTERRUPTED, command, "interrupted", null, e);
        }
    }

    private void send(JsonNode request) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap((JSON.writeValueAsString(request) + "\n").getBytes(StandardCharsets.UTF_8));
        synchronized (writeLock) {
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
        }
    }

    /** {@code query-cpus-fast}: every vCPU with its host thread id (no guest interruption). */
    public List<VcpuThread> queryCpusFast() throws QmpException {
        return list("query-cpus-fast", n -> new VcpuThread(requiredInt(n, "cpu-index"), requiredInt(n, "thread-id"),
                n.path("qom-path").asText("")));
    }

    /** {@code query-iothreads}: the {@code -object iothread} threads. */
    public List<IoThread> queryIothreads() throws QmpException {
        return list("query-iothreads", n -> new IoThread(requiredText(n, "id"), requiredInt(n, "thread-id")));
    }

    /** {@code query-chardev}: every character device's label and backend. */
    public List<Chardev> queryChardev() throws QmpException {
        return list("query-chardev", n -> new Chardev(requiredText(n, "label"), requiredText(n, "filename"),
                n.path("frontend-open").asBoolean()));
    }

    public VmStatus queryStatus() throws QmpException {
        return parse("query-status", execute("query-status"), r -> {
            if (!r.path("running").isBoolean()) {
                throw new MissingField("running", r);
            }
            return new VmStatus(r.get("running").asBoolean(), requiredText(r, "status"));
        });
    }

    private <T> List<T> list(String command, Function<JsonNode, T> entry) throws QmpException {
        return parse(command, execute(command), r -> {
            if (!r.isArray()) {
                throw new MissingField("array", r);
            }
            List<T> result = new ArrayList<>();
            r.forEach(n -> result.add(entry.apply(n)));
            return List.copyOf(result);
        });
    }

    private static <T> T parse(String command, JsonNode answer, Function<JsonNode, T> parser) throws QmpException {
        try {
            return parser.apply(answer);
        } catch (MissingField e) {
            throw new QmpException(QmpException.Reason.PROTOCOL, command, e.getMessage());
        }
    }

    private static int requiredInt(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.canConvertToInt()) {
            throw new MissingField(field, n);
        }
        return v.intValue();
    }

    private static String requiredText(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) {
            throw new MissingField(field, n);
        }
        return v.asText();
    }

    /** Carries a malformed answer out of a parsing lambda; becomes a PROTOCOL QmpException. */
    private static final class MissingField extends RuntimeException {
        private static final long serialVersionUID = 1L;

        MissingField(String what, JsonNode answer) {
            super("no '" + what + "' in " + answer);
        }
    }

    private void readLoop() {
        String reason = "QEMU closed the socket";
        try (MappingIterator<JsonNode> messages = JSON.readerFor(JsonNode.class)
                .readValues(Channels.newInputStream(channel))) {
            while (messages.hasNextValue()) {
                dispatch(messages.nextValue());
            }
        } catch (JsonProcessingException | QmpException e) {
            reason = closing ? "closed by the client" : "protocol error: " + e.getMessage();
        } catch (IOException e) {
            // A killed QEMU shows as EOF or, with data still queued, as a reset: both mean it is gone.
            reason = closing ? "closed by the client" : "QEMU closed the socket (" + e.getMessage() + ")";
        } catch (RuntimeException e) {
            reason = closing ? "closed by the client" : "connection failed: " + e;
        } finally {
            disconnected(reason);
        }
    }

    private void dispatch(JsonNode message) throws QmpException {
        if (message.has("QMP")) {
            greeting.complete(message);
        } else if (message.has("event")) {
            QmpEvent event = new QmpEvent(message.get("event").asText(), message.path("data").deepCopy(), timestamp(message));
            events.execute(() -> listener.onEvent(event));
        } else if (message.has("return") || message.has("error")) {
            JsonNode id = message.get("id");
            if (id != null) {
                // No entry: the caller gave up (timeout) and was told so; the late answer is dropped.
                CompletableFuture<JsonNode> answer = pending.remove(id.asLong());
                if (answer != null) {
                    answer.complete(message);
                }
            } else {
                // QEMU answers without id only when it could not parse a request; it answers in order.
                Entry<Long, CompletableFuture<JsonNode>> oldest = pending.pollFirstEntry();
                if (oldest != null) {
                    oldest.getValue().complete(message);
                }
            }
        } else {
            throw new QmpException(QmpException.Reason.PROTOCOL, "read", "unexpected message " + message);
        }
    }

    private static Instant timestamp(JsonNode message) {
        JsonNode t = message.path("timestamp");
        return Instant.ofEpochSecond(t.path("seconds").asLong(), t.path("microseconds").asLong() * 1000);
    }

    private void disconnected(String reason) {
        disconnectReason = reason;
        QmpException gone = new QmpException(QmpException.Reason.DISCONNECTED, "read", "disconnected: " + reason);
        greeting.completeExceptionally(gone);
        for (Entry<Long, CompletableFuture<JsonNode>> e = pending.pollFirstEntry(); e != null; e = pending.pollFirstEntry()) {
            e.getValue().completeExceptionally(gone);
        }
        try {
            channel.close();
        } catch (IOException alreadyBroken) {
            // The connection is over either way; the reason above is what the owner needs.
        }
        events.execute(() -> listener.onDisconnected(reason));
        events.shutdown();
    }

    /** True until the connection ended. */
    public boolean isConnected() {
        return disconnectReason == null;
    }

    /** Closes the socket; waiting commands fail with DISCONNECTED and the listener hears it once. */
    @Override
    public void close() {
        closing = true;
        try {
            channel.close();
        } catch (IOException e) {
            // Closing a unix socket channel does not fail in a way that leaves it open.
        }
        if (Thread.currentThread() != reader) {
            try {
                reader.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
