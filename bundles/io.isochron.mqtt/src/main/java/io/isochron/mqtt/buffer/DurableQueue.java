package io.isochron.mqtt.buffer;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.TreeMap;
import java.util.zip.CRC32;

/**
 * Bounded, durable FIFO of outgoing MQTT messages for store-and-forward: telemetry produced while
 * the broker is unreachable is appended here and delivered in order once it is back, also after an
 * appliance restart.
 *
 * <p>Layout in its directory: append-only segment files {@code seg-<first sequence>.log} of records
 * {@code [int length][int crc32][body]}, body {@code [long sequence][short topic length][topic][byte
 * qos][payload]}, and a file {@code head} with the first unacknowledged sequence and the number of
 * messages dropped so far, replaced atomically. On open, a torn or corrupt record (power loss in the
 * middle of a write) ends its segment: the segment is cut there and the loss is counted.
 *
 * <p>When appending would exceed {@code maxBytes}, the oldest messages are dropped and counted —
 * never an exception. The head is written every {@value #ACKS_PER_HEAD_WRITE} acknowledgements and
 * on {@link #close()}: delivery is exactly-once across a clean close and at-least-once across a
 * crash, which may deliver up to that many acknowledged messages again.
 *
 * <p>Thread-safe: every method is synchronized.
 */
public final class DurableQueue implements AutoCloseable {
    /** A stored message. */
    public record Message(long sequence, String topic, int qos, byte[] payload) {}

    private static final int HEADER = 8;
    private static final int MAX_TOPIC = 65_535;
    private static final String HEAD = "head";
    static final int ACKS_PER_HEAD_WRITE = 256;

    /** Where one live record is. */
    private record Entry(long sequence, long segment, long offset, int size) {}

    private final Path dir;
    private final long maxBytes;
    private final long segmentBytes;
    private final boolean sync;
    private final ArrayDeque<Entry> entries = new ArrayDeque<>();
    /** Segment first sequence -> file channel, oldest first; the last one is appended to. */
    private final TreeMap<Long, FileChannel> segments = new TreeMap<>();
    private long nextSequence;
    private long head;
    private long dropped;
    private long corrupted;
    private long bytes;
    private boolean closed;
    private int acksSinceHeadWrite;

    private DurableQueue(Path dir, long maxBytes, long segmentBytes, boolean sync) {
        this.dir = dir;
        this.maxBytes = maxBytes;
        this.segmentBytes = segmentBytes;
        this.sync = sync;
    }

    /**
     * Opens (or creates) the queue in {@code dir}.
     *
     * @param maxBytes bound of the stored records, at least {@code segmentBytes}
     * @param segmentBytes size at which a new segment file is started
     * @param sync force every append and acknowledgement to the device (power-loss safe, slower)
     */
    public static DurableQueue open(Path dir, long maxBytes, long segmentBytes, boolean sync) throws IOException {
        if (segmentBytes < 1024 || maxBytes < segmentBytes) {
            throw new IllegalArgumentException("need segmentBytes >= 1024 and maxBytes >= segmentBytes, got "
                    + segmentBytes + " and " + maxBytes);
        }
        Files.createDirectories(dir);
        DurableQueue q = new DurableQueue(dir, maxBytes, segmentBytes, sync);
        q.recover();
        return q;
    }

    private void recover() throws IOException {
        Path headFile = dir.resolve(HEAD);
        if (Files.exists(headFile)) {
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(headFile));
            if (b.remaining() >= 24) {
                head = b.getLong();
                dropped = b.getLong();
                corrupted = b.getLong();
            }
        }
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "seg-*.log")) {
            ds.forEach(files::add);
        }
        files.sort(null);
        long end = head;
        for (Path f : files) {
            String name = f.getFileName().toString();
            long first = Long.parseLong(name.substring(4, name.length() - 4));
            FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE);
            segments.put(first, ch);
            // A segment holds consecutive sequences from the one in its name.
            long expected = first;
            long offset = 0;
            long size = ch.size();
            while (offset < size) {
                Message m = read(ch, offset, size);
                if (m == null || m.sequence() != expected) {
                    corrupted++;
                    ch.truncate(offset);
                    break;
                }
                int recordSize = recordSize(m);
                if (m.sequence() >= head) {
                    entries.addLast(new Entry(m.sequence(), first, offset, recordSize));
                    bytes += recordSize;
                }
                expected = m.sequence() + 1;
                offset += recordSize;
            }
            end = Math.max(end, expected);
        }
        nextSequence = end;
        if (!entries.isEmpty() && entries.peekFirst().sequence() > head) {
            head = entries.peekFirst().sequence();
        }
        deleteConsumedSegments();
    }

    /** Reads the record at {@code offset}, or null if it is torn or corrupt. */
    private static Message read(FileChannel ch, long offset, long size) throws IOException {
        if (size - offset < HEADER) {
            return null;
        }
        ByteBuffer header = ByteBuffer.allocate(HEADER);
        readFully(ch, header, offset);
        header.flip();
        int length = header.getInt();
        int crc = header.getInt();
        if (length < 8 + 2 + 1 || length > size - offset - HEADER) {
            return null;
        }
        ByteBuffer body = ByteBuffer.allocate(length);
        readFully(ch, body, offset + HEADER);
        CRC32 c = new CRC32();
        c.update(body.array(), 0, length);
        if ((int) c.getValue() != crc) {
            return null;
        }
        body.flip();
        long sequence = body.getLong();
        int topicLength = Short.toUnsignedInt(body.getShort());
        if (topicLength > body.remaining() - 1) {
            return null;
        }
        byte[] topic = new byte[topicLength];
        body.get(topic);
        int qos = body.get();
        byte[] payload = new byte[body.remaining()];
        body.get(payload);
        return new Message(sequence, new String(topic, StandardCharsets.UTF_8), qos, payload);
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long position) throws IOException {
        while (b.hasRemaining()) {
            if (ch.read(b, position + b.position()) < 0) {
                throw new EOFException();
            }
        }
    }

    private static int recordSize(Message m) {
        return HEADER + 8 + 2 + m.topic().getBytes(StandardCharsets.UTF_8).length + 1 + m.payload().length;
    }

    /**
     * Appends a message; drops the oldest ones if the bound would be exceeded.
     *
     * @return its sequence number
     * @throws IllegalArgumentException if the message alone exceeds the bound, the topic is longer
     *     than 65,535 bytes or qos is not 0, 1 or 2
     */
    public synchronized long append(String topic, int qos, byte[] payload) throws IOException {
        ensureOpen();
        byte[] t = topic.getBytes(StandardCharsets.UTF_8);
        if (t.length > MAX_TOPIC) {
            throw new IllegalArgumentException("topic longer than 65,535 bytes: " + t.length);
        }
        if (qos < 0 || qos > 2) {
            throw new IllegalArgumentException("qos must be 0, 1 or 2, got " + qos);
        }
        int size = HEADER + 8 + 2 + t.length + 1 + payload.length;
        if (size > maxBytes) {
            throw new IllegalArgumentException("message of " + size + " bytes exceeds the buffer bound of " + maxBytes);
        }
        long droppedBefore = dropped;
        while (bytes + size > maxBytes && !entries.isEmpty()) {
            Entry oldest = entries.removeFirst();
            bytes -= oldest.size();
            head = oldest.sequence() + 1;
            dropped++;
        }
        if (dropped != droppedBefore) {
            writeHead();
            deleteConsumedSegments();
        }
        long sequence = nextSequence++;
        ByteBuffer body = ByteBuffer.allocate(size - HEADER);
        body.putLong(sequence).putShort((short) t.length).put(t).put((byte) qos).put(payload);
        CRC32 c = new CRC32();
        c.update(body.array(), 0, body.capacity());
        ByteBuffer record = ByteBuffer.allocate(size);
        record.putInt(body.capacity()).putInt((int) c.getValue()).put(body.array());
        record.flip();
        FileChannel ch = activeSegment(sequence);
        long offset = ch.size();
        while (record.hasRemaining()) {
            ch.write(record, offset + record.position());
        }
        if (sync) {
            ch.force(false);
        }
        entries.addLast(new Entry(sequence, segments.lastKey(), offset, size));
        bytes += size;
        return sequence;
    }

    private FileChannel activeSegment(long sequence) throws IOException {
        if (segments.isEmpty() || segments.lastEntry().getValue().size() >= segmentBytes) {
            Path f = dir.resolve(String.format("seg-%020d.log", sequence));
            FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            segments.put(sequence, ch);
            if (sync) {
                syncDirectory();
            }
        }
        return segments.lastEntry().getValue();
    }

    /** @return the oldest unacknowledged message, or null when the queue is empty */
    public synchronized Message peek() throws IOException {
        ensureOpen();
        Entry e = entries.peekFirst();
        if (e == null) {
            return null;
        }
        FileChannel ch = segments.get(e.segment());
        Message m = read(ch, e.offset(), ch.size());
        if (m == null || m.sequence() != e.sequence()) {
            throw new IOException("record " + e.sequence() + " in " + dir + " changed on disk");
        }
        return m;
    }

    /** Removes every message up to and including {@code sequence} (delivered). */
    public synchronized void acknowledge(long sequence) throws IOException {
        ensureOpen();
        while (!entries.isEmpty() && entries.peekFirst().sequence() <= sequence) {
            Entry e = entries.removeFirst();
            bytes -= e.size();
            head = e.sequence() + 1;
            acksSinceHeadWrite++;
        }
        if (acksSinceHeadWrite >= ACKS_PER_HEAD_WRITE) {
            writeHead();
            deleteConsumedSegments();
        }
    }

    public synchronized int size() {
        return entries.size();
    }

    /** Bytes of the stored records. */
    public synchronized long bytes() {
        return bytes;
    }

    /** Messages dropped because the buffer was full, since it was created. */
    public synchronized long dropped() {
        return dropped;
    }

    /** Whether every append and acknowledgement is forced to the device. */
    public boolean forcesWrites() {
        return sync;
    }

    /** Records found torn or corrupt when opening, since the buffer was created. */
    public synchronized long corrupted() {
        return corrupted;
    }

    private void writeHead() throws IOException {
        writeHead(sync);
    }

    private void writeHead(boolean force) throws IOException {
        acksSinceHeadWrite = 0;
        ByteBuffer b = ByteBuffer.allocate(24).putLong(head).putLong(dropped).putLong(corrupted);
        Path tmp = dir.resolve(HEAD + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            b.flip();
            while (b.hasRemaining()) {
                ch.write(b);
            }
            if (force) {
                ch.force(true);
            }
        }
        try {
            Files.move(tmp, dir.resolve(HEAD), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, dir.resolve(HEAD), StandardCopyOption.REPLACE_EXISTING);
        }
        if (force) {
            syncDirectory();
        }
    }

    /** Deletes segments whose records are all acknowledged or dropped, except the active one. */
    private void deleteConsumedSegments() throws IOException {
        Iterator<Long> it = segments.keySet().iterator();
        while (it.hasNext()) {
            long first = it.next();
            Long next = segments.higherKey(first);
            boolean consumed = next != null && next <= head;
            if (!consumed) {
                break;
            }
            segments.get(first).close();
            Files.deleteIfExists(dir.resolve(String.format("seg-%020d.log", first)));
            it.remove();
        }
    }

    private void syncDirectory() {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // not every file system lets a directory be forced; the data files are
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("buffer in " + dir + " is closed");
        }
    }

    /** Forces everything to the device and closes the files. */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        IOException failure = null;
        for (FileChannel ch : segments.values()) {
            try {
                ch.force(true);
            } catch (IOException e) {
                failure = e;
            }
        }
        writeHead(true);
        deleteConsumedSegments();
        for (FileChannel ch : segments.values()) {
            try {
                ch.close();
            } catch (IOException e) {
                failure = failure == null ? e : failure;
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
