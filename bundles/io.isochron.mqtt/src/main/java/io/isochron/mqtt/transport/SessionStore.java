package io.isochron.mqtt.transport;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.eclipse.paho.client.mqttv3.MqttClientPersistence;
import org.eclipse.paho.client.mqttv3.MqttPersistable;
import org.eclipse.paho.client.mqttv3.MqttPersistenceException;
import org.eclipse.paho.client.mqttv3.internal.MqttPersistentData;

/**
 * Paho's store for the messages it is delivering, as one append-only log: every put and remove is a
 * record {@code [length][CRC-32C][op, key, data]}; the live messages are also kept in memory (Paho
 * keeps at most the in-flight ones here, a few dozen). Opening replays the log up to the first torn
 * or corrupt record (what a crash can leave) and rewrites it compacted; a long log is compacted the
 * same way while running.
 *
 * <p>Paho's own file store writes, renames and forces a file per message and state change — two
 * forced writes per QoS 2 message, which capped draining an outage at about 1,000 messages per
 * second on the test machine. Here forcing follows the buffer's own setting: a power-loss-safe
 * buffer gets a power-loss-safe session store, the default (crash-safe) gets neither.
 *
 * <p>It also counts the messages being sent, so the publisher can keep what is stored — and so in
 * flight at the broker, and sent again after a restart — within its limit.
 */
final class SessionStore implements MqttClientPersistence {
    private static final String LOG_FILE = "session.log";
    private static final byte PUT = 1;
    private static final byte REMOVE = 2;
    private static final int HEADER = 8;
    private static final int MAX_RECORD = 64 << 20;
    private static final long COMPACT_BYTES = 4L << 20;

    private final Path base;
    private final boolean sync;
    private final Map<String, byte[]> live = new LinkedHashMap<>();
    private final CRC32C crc = new CRC32C();
    private Path dir;
    private FileChannel log;
    private long logBytes;
    /** Live messages being sent (Paho's keys "s-<packet id>"; "sc-" marks a QoS 2 one as confirmed). */
    private int outgoing;

    SessionStore(Path base, boolean sync) {
        this.base = base;
        this.sync = sync;
    }

    @Override
    public synchronized void open(String clientId, String serverUri) throws MqttPersistenceException {
        dir = base.resolve(safeName(clientId + "-" + serverUri));
        try {
            Files.createDirectories(dir);
            live.clear();
            replay(dir.resolve(LOG_FILE));
            outgoing = (int) live.keySet().stream().filter(SessionStore::isOutgoing).count();
            compact();
        } catch (IOException e) {
            throw failure("cannot open MQTT session store " + dir, e);
        }
    }

    private void replay(Path file) throws IOException {
        if (!Files.exists(file)) {
            return;
        }
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file));
        while (b.remaining() >= HEADER) {
            int length = b.getInt();
            int checksum = b.getInt();
            if (length < 3 || length > b.remaining()) {
                return; // torn tail
            }
            crc.reset();
            crc.update(b.array(), b.position(), length);
            if ((int) crc.getValue() != checksum) {
                return;
            }
            ByteBuffer body = b.slice(b.position(), length);
            b.position(b.position() + length);
            byte op = body.get();
            byte[] key = new byte[Short.toUnsignedInt(body.getShort())];
            body.get(key);
            String k = new String(key, StandardCharsets.UTF_8);
            if (op == PUT) {
                byte[] data = new byte[body.remaining()];
                body.get(data);
                live.put(k, data);
            } else {
                live.remove(k);
            }
        }
    }

    /** Writes the live messages to a fresh log and swaps it in atomically. */
    private void compact() throws IOException {
        closeLog();
        Path fresh = dir.resolve(LOG_FILE + ".new");
        log = FileChannel.open(fresh, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        logBytes = 0;
        for (Map.Entry<String, byte[]> e : live.entrySet()) {
            append(PUT, e.getKey(), ByteBuffer.wrap(e.getValue()), false);
        }
        log.force(true);
        Files.move(fresh, dir.resolve(LOG_FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private void append(byte op, String key, ByteBuffer data, boolean force) throws IOException {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        int length = 3 + k.length + data.remaining();
        if (length > MAX_RECORD) {
            throw new IOException("message of " + length + " bytes exceeds the session store's limit of " + MAX_RECORD);
        }
        ByteBuffer record = ByteBuffer.allocate(HEADER + length);
        record.position(HEADER);
        record.put(op).putShort((short) k.length).put(k).put(data);
        crc.reset();
        crc.update(record.array(), HEADER, length);
        record.putInt(0, length).putInt(4, (int) crc.getValue());
        record.position(0);
        while (record.hasRemaining()) {
            log.write(record);
        }
        logBytes += HEADER + length;
        if (force) {
            log.force(false);
        }
    }

    private void record(byte op, String key, ByteBuffer data) throws MqttPersistenceException {
        try {
            requireOpen();
            append(op, key, data, sync);
            if (logBytes > COMPACT_BYTES) {
                compact();
            }
        } catch (IOException e) {
            throw failure("cannot write MQTT session store " + dir, e);
        }
    }

    @Override
    public synchronized void put(String key, MqttPersistable message) throws MqttPersistenceException {
        int headerLength = message.getHeaderLength();
        byte[] payload = message.getPayloadBytes();
        int payloadLength = payload == null ? 0 : message.getPayloadLength();
        // Paho reads header and payload back out of one block.
        byte[] data = new byte[headerLength + payloadLength];
        System.arraycopy(message.getHeaderBytes(), message.getHeaderOffset(), data, 0, headerLength);
        if (payloadLength > 0) {
            System.arraycopy(payload, message.getPayloadOffset(), data, headerLength, payloadLength);
        }
        record(PUT, key, ByteBuffer.wrap(data));
        if (live.put(key, data) == null && isOutgoing(key)) {
            outgoing++;
        }
    }

    @Override
    public synchronized MqttPersistable get(String key) throws MqttPersistenceException {
        byte[] data = live.get(key);
        return data == null ? null : new MqttPersistentData(key, data, 0, data.length, null, 0, 0);
    }

    @Override
    public synchronized void remove(String key) throws MqttPersistenceException {
        if (live.containsKey(key)) {
            record(REMOVE, key, ByteBuffer.allocate(0));
            live.remove(key);
            if (isOutgoing(key)) {
                outgoing--;
                notifyAll();
            }
        }
    }

    private static boolean isOutgoing(String key) {
        return key.startsWith("s-");
    }

    /**
     * Waits until fewer than {@code limit} messages being sent are stored.
     *
     * @return false if that did not happen within the timeout
     */
    synchronized boolean awaitOutgoingBelow(int limit, long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (outgoing >= limit) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) {
                return false;
            }
            wait(left);
        }
        return true;
    }

    @Override
    public synchronized Enumeration<String> keys() {
        return Collections.enumeration(live.keySet().stream().toList());
    }

    @Override
    public synchronized void clear() throws MqttPersistenceException {
        live.clear();
        outgoing = 0;
        notifyAll();
        try {
            requireOpen();
            compact();
        } catch (IOException e) {
            throw failure("cannot clear MQTT session store " + dir, e);
        }
    }

    @Override
    public synchronized boolean containsKey(String key) {
        return live.containsKey(key);
    }

    @Override
    public synchronized void close() throws MqttPersistenceException {
        try {
            closeLog();
        } catch (IOException e) {
            throw failure("cannot close MQTT session store " + dir, e);
        }
    }

    private void closeLog() throws IOException {
        if (log != null) {
            try {
                log.force(true);
            } finally {
                log.close();
                log = null;
            }
        }
    }

    private void requireOpen() throws IOException {
        if (log == null) {
            throw new IOException("MQTT session store is not open");
        }
    }

    /** Client ids and server URIs contain ':' and '/', which do not belong in a file name. */
    private static String safeName(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            b.append(Character.isLetterOrDigit(c) || c == '-' || c == '_' || c == '.' ? c : '_');
        }
        return b.toString();
    }

    private static MqttPersistenceException failure(String message, IOException cause) {
        return new StoreFailure(message + ": " + cause.getMessage(), cause);
    }

    /** Paho's exceptions only carry a reason code's text; this one says what failed and where. */
    private static final class StoreFailure extends MqttPersistenceException {
        private static final long serialVersionUID = 1L;
        private final String message;

        StoreFailure(String message, Throwable cause) {
            super(cause);
            this.message = message;
        }

        @Override
        public String getMessage() {
            return message;
        }
    }
}
