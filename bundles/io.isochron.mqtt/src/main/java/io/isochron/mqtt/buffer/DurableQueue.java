package io.isochron.mqtt.buffer;

import io.isochron.log.RateLimitedLog;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Bounded, durable FIFO of outgoing MQTT messages for store-and-forward: telemetry produced while
 * the broker is unreachable is appended here and delivered in order once it is back, also after an
 * appliance restart.
 *
 * <p>Layout in its directory: append-only segment files {@code seg-<first sequence, 20 digits>.log}
 * holding consecutive sequences, each record framed by a sync marker and checked by two CRC-32Cs
 * ({@link RecordCodec}), and the file {@code head} with the first unacknowledged sequence, the next
 * sequence and the counters in two alternating checksummed slots ({@link HeadFile}). Segments
 * written by the previous version are converted on open ({@link LegacyFormat}).
 *
 * <p>What survives what:
 * <ul>
 *   <li>A damaged record costs that record: recovery scans forward to the next intact record (sync
 *       marker, both checksums, a sequence that fits the records around it) and goes on from there.
 *   <li>A torn end of the newest segment (power loss during an append) is cut off.
 *   <li>A missing or damaged {@code head} is rebuilt: delivery resumes at the oldest stored message,
 *       so acknowledged messages still stored (at most about one segment) are delivered again.
 *   <li>Files that are not the buffer's own are left alone, with one warning line each.
 *   <li>A killed process: every acknowledgement and append is written to {@code head} at once (a
 *       positional write into the page cache, not forced), so nothing acknowledged is delivered again.
 *   <li>Power loss: with {@code sync} every append and acknowledgement is forced to the device;
 *       without, the last ones before the loss may be lost or delivered again.
 * </ul>
 * Everything lost is counted — {@link #dropped()} and {@link #corrupt()}, kept in {@code head} — and
 * logged in one line per recovery (and at most once a minute while sending); never an exception for
 * bad bytes, only for real I/O errors.
 *
 * <p>Thread-safe: every method is synchronized.
 */
public final class DurableQueue implements AutoCloseable {
    /** A stored message. */
    public record Message(long sequence, String topic, int qos, byte[] payload) {}

    private static final System.Logger LOG = System.getLogger("io.isochron.mqtt");
    private static final int MAX_TOPIC = 65_535;
    private static final Pattern SEGMENT = Pattern.compile("seg-(\\d{20})\\.log");
    private static final Pattern CONVERTING = Pattern.compile("seg-\\d{20}\\.log" + Pattern.quote(LegacyFormat.CONVERT_SUFFIX));
    /** The previous version's temporary head. */
    private static final String LEGACY_HEAD_TEMP = "head.tmp";
    /** Larger record buffers are not kept between calls. */
    private static final int KEEP_BUFFER = 1 << 20;

    /** Where one live record is. */
    private record Entry(long sequence, long segment, FileChannel channel, long offset, int size) {}

    /** A segment file found on open. */
    private record SegmentFile(long first, Path path) {}

    /** Where a stored message lies (for tests that damage files at exact places). */
    record Stored(long sequence, Path file, long offset, int size) {}

    private final Path dir;
    private final long maxBytes;
    private final long segmentBytes;
    private final boolean sync;
    private final RecordCodec codec = new RecordCodec();
    private final ArrayDeque<Entry> entries = new ArrayDeque<>();
    /** Segment first sequence -> file channel, oldest first; the last one is appended to. */
    private final TreeMap<Long, FileChannel> segments = new TreeMap<>();
    private HeadFile headFile;
    private ByteBuffer recordBuffer = ByteBuffer.allocate(4096);
    private String lastTopic = "";
    private byte[] lastTopicBytes = new byte[0];
    private long activeEnd;
    /** The next append must start a segment: its sequence does not follow the last segment's records. */
    private boolean newSegmentNeeded;
    private long secondSegmentFirst = Long.MAX_VALUE;
    private long nextSequence;
    private long head;
    private long dropped;
    private long corrupt;
    /** Sequences from head to nextSequence without a record (lost and counted already). */
    private long lostAhead;
    private long bytes;
    private boolean closed;
    private final RateLimitedLog damageLog = new RateLimitedLog(LOG, Duration.ofMinutes(1));

    private DurableQueue(Path dir, long maxBytes, long segmentBytes, boolean sync) {
        this.dir = dir;
        this.maxBytes = maxBytes;
        this.segmentBytes = segmentBytes;
        this.sync = sync;
    }

    /**
     * Opens (or creates) the queue in {@code dir}, recovering whatever is there.
     *
     * @param maxBytes bound of the stored records, at least {@code segmentBytes}
     * @param segmentBytes size at which a new segment file is started
     * @param sync force every append and acknowledgement to the device (power-loss safe, slower)
     * @throws IOException only for a failing file system, never for bad bytes in the files
     */
    public static DurableQueue open(Path dir, long maxBytes, long segmentBytes, boolean sync) throws IOException {
        if (segmentBytes < 1024 || maxBytes < segmentBytes) {
            throw new IllegalArgumentException("need segmentBytes >= 1024 and maxBytes >= segmentBytes, got "
                    + segmentBytes + " and " + maxBytes);
        }
        Files.createDirectories(dir);
        DurableQueue q = new DurableQueue(dir, maxBytes, segmentBytes, sync);
        try {
            q.recover();
        } catch (IOException | RuntimeException e) {
            q.closeFiles();
            throw e;
        }
        return q;
    }

    // ---- recovery ----

    private void recover() throws IOException {
        List<SegmentFile> files = listDirectory();
        HeadFile.Saved saved = HeadFile.read(dir);
        Scan scan = new Scan(codec);
        for (int k = 0; k < files.size(); k++) {
            boolean newest = k == files.size() - 1;
            scanSegment(files.get(k), newest ? Long.MAX_VALUE : files.get(k + 1).first(), newest, scan);
        }
        boolean anySegment = !files.isEmpty();
        // The previous version's head has no checksum: trusted only where it points among the records.
        boolean trusted = saved.trusted() && (saved.source() != HeadFile.Source.LEGACY || !anySegment
                || saved.head() <= scan.expected);
        long end = anySegment ? scan.expected + (scan.tornAt >= 0 ? 1 : 0) : 0;
        if (trusted) {
            end = Math.max(end, Math.max(saved.head(), saved.next()));
        }
        nextSequence = end;
        head = trusted ? saved.head() : scan.found.isEmpty() ? end : scan.found.get(0).sequence();
        for (Entry e : scan.found) {
            if (e.sequence() >= head) {
                entries.addLast(e);
                bytes += e.size();
            }
        }
        // Every sequence from head to the end without an intact record is lost; count what is new.
        long lostNow = end - head - entries.size();
        long newlyLost;
        if (trusted) {
            dropped = saved.dropped();
            corrupt = saved.corrupt();
            newlyLost = Math.max(0, lostNow - saved.lostAhead());
        } else {
            // Unknown what was acknowledged: records missing before the first intact one count too.
            long countFrom = anySegment ? Math.min(files.get(0).first(), head) : end;
            newlyLost = end - countFrom - entries.size();
        }
        corrupt += newlyLost;
        lostAhead = lostNow;
        if (entries.isEmpty()) {
            head = end;
            lostAhead = 0;
        } else if (entries.peekFirst().sequence() > head) {
            lostAhead -= entries.peekFirst().sequence() - head;
            head = entries.peekFirst().sequence();
        }
        // Counted before the torn end is cut: a crash in between counts nothing twice.
        headFile = HeadFile.create(dir, head, nextSequence, dropped, corrupt, lostAhead);
        if (anySegment) {
            FileChannel newestChannel = segments.lastEntry().getValue();
            if (scan.tornAt >= 0) {
                newestChannel.truncate(scan.tornAt);
                newestChannel.force(true);
            }
            activeEnd = newestChannel.size();
            newSegmentNeeded = nextSequence != scan.expected;
        }
        updateSecondSegment();
        deleteConsumedSegments();
        report(saved.source(), trusted, anySegment, newlyLost, scan,
                scan.tornAt >= 0 ? files.get(files.size() - 1).path() : null);
    }

    /** What recovery found in the segments. */
    private static final class Scan {
        final List<Entry> found = new ArrayList<>();
        final SegmentScanner scanner;
        /** The sequence after the last intact record of the segment scanned last (its name if none). */
        long expected;
        /** Where the newest segment's damaged end starts, or -1. */
        long tornAt = -1;
        int converted;
        long damagedStretches;
        String firstDamage;

        Scan(RecordCodec codec) {
            scanner = new SegmentScanner(codec);
        }
    }

    /** Collects the intact records of one segment, resynchronising after damage. */
    private void scanSegment(SegmentFile f, long limit, boolean newest, Scan scan) throws IOException {
        SegmentScanner scanner = scan.scanner;
        FileChannel ch = openSegment(f.path());
        scanner.open(ch);
        boolean legacy = scanner.load(0, 4) && scanner.window().getInt(scanner.index(0)) != RecordCodec.SYNC
                && LegacyFormat.startsWithRecord(scanner, f.first());
        if (legacy) {
            LegacyFormat.convert(f.path(), f.first(), scanner, codec);
            ch.close();
            ch = openSegment(f.path());
            scanner.open(ch);
            scan.converted++;
        }
        segments.put(f.first(), ch);
        // A segment holds consecutive sequences from the one in its name, below the next segment's.
        long expected = f.first();
        long afterLast = 0;
        long position = 0;
        while (position < scanner.size()) {
            if (scanner.recordAt(position) && fits(scanner.sequence(), expected, position - afterLast, limit)) {
                scan.found.add(new Entry(scanner.sequence(), f.first(), ch, position, scanner.recordSize()));
                expected = scanner.sequence() + 1;
                position += scanner.recordSize();
                afterLast = position;
                continue;
            }
            scan.damagedStretches++;
            if (scan.firstDamage == null) {
                scan.firstDamage = f.path().getFileName() + " at byte " + position;
            }
            long resume = -1;
            for (long p = scanner.findSync(position + 1); p >= 0 && resume < 0; p = scanner.findSync(p + 1)) {
                if (scanner.recordAt(p) && fits(scanner.sequence(), expected, p - afterLast, limit)) {
                    resume = p;
                }
            }
            if (resume < 0) {
                scan.tornAt = newest ? position : scan.tornAt;
                break;
            }
            position = resume;
        }
        scan.expected = expected;
    }

    /**
     * Whether a record of {@code sequence} can stand {@code gapBytes} after the last intact one, when
     * {@code expected} would follow that: the sequences in between need at least the smallest record
     * each. A stray copy of a record, or a payload that looks like one, fails this or its checksums.
     */
    private static boolean fits(long sequence, long expected, long gapBytes, long limit) {
        return sequence >= expected && sequence < limit && sequence - expected <= gapBytes / RecordCodec.MIN_RECORD;
    }

    /** The segment files, oldest first; unfinished files of the buffer's own are removed, strays reported. */
    private List<SegmentFile> listDirectory() throws IOException {
        List<SegmentFile> files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                boolean regular = Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS);
                if (name.equals(HeadFile.NAME)) {
                    continue;
                }
                if (regular && (name.equals(HeadFile.NEW_NAME) || name.equals(LEGACY_HEAD_TEMP)
                        || CONVERTING.matcher(name).matches())) {
                    Files.deleteIfExists(p); // a write that was cut short; its original is intact
                    continue;
                }
                Matcher m = SEGMENT.matcher(name);
                long first = regular && m.matches() ? parseSequence(m.group(1)) : -1;
                if (first < 0) {
                    LOG.log(Level.WARNING, "MQTT buffer " + dir + ": ignoring '" + name
                            + "', not a file of the buffer (segments are seg-<20 digits>.log)");
                    continue;
                }
                files.add(new SegmentFile(first, p));
            }
        }
        files.sort((a, b) -> Long.compare(a.first(), b.first()));
        return files;
    }

    private static long parseSequence(String digits) {
        try {
            return Long.parseLong(digits);
        } catch (NumberFormatException tooLarge) {
            return -1;
        }
    }

    private static FileChannel openSegment(Path file) throws IOException {
        return FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    /** One line per thing recovery found: a rebuilt head, a conversion, newly lost messages. */
    private void report(HeadFile.Source source, boolean trusted, boolean anySegment, long newlyLost, Scan scan,
            Path torn) {
        if (!trusted && (anySegment || source != HeadFile.Source.MISSING)) {
            String why = switch (source) {
                case MISSING -> "missing";
                case LEGACY -> "from the previous version and points past the stored messages";
                default -> "damaged (no slot passes its checksum)";
            };
            LOG.log(Level.WARNING, String.format("MQTT buffer %s: file head is %s; resuming at the oldest stored "
                    + "message (%d): acknowledged messages still stored are sent again, counters restart at 0", dir,
                    why, head));
        } else if (source == HeadFile.Source.ONE_SLOT) {
            LOG.log(Level.INFO, "MQTT buffer " + dir + ": one slot of file head is damaged (a write cut short?); "
                    + "using the other, which may repeat the last acknowledgement");
        }
        if (scan.converted > 0 || source == HeadFile.Source.LEGACY) {
            LOG.log(Level.INFO, "MQTT buffer " + dir + ": converted " + scan.converted
                    + " segment(s) and the head written by the previous version to the current format");
        }
        if (newlyLost > 0 || torn != null) {
            StringBuilder where = new StringBuilder();
            if (scan.damagedStretches > (torn != null ? 1 : 0)) {
                where.append(scan.damagedStretches).append(" damaged stretch(es), the first in ").append(scan.firstDamage);
            }
            if (torn != null) {
                where.append(where.length() > 0 ? "; " : "").append("the torn end of ").append(torn.getFileName())
                        .append(" cut off");
            }
            if (where.length() == 0) {
                where.append("segment files missing");
            }
            LOG.log(Level.WARNING, String.format("MQTT buffer %s: %d buffered message(s) lost to damaged or missing "
                    + "records (%s); %d kept, in order; %d lost this way since the buffer was created", dir, newlyLost,
                    where, entries.size(), corrupt));
        }
    }

    // ---- appending and delivering ----

    /**
     * Appends a message; drops the oldest ones if the bound would be exceeded.
     *
     * @return its sequence number
     * @throws IllegalArgumentException if the message alone exceeds the bound, the topic is longer
     *     than 65,535 bytes or qos is not 0, 1 or 2
     */
    public synchronized long append(String topic, int qos, byte[] payload) throws IOException {
        ensureOpen();
        byte[] t = topicBytes(topic);
        if (t.length > MAX_TOPIC) {
            throw new IllegalArgumentException("topic longer than 65,535 bytes: " + t.length);
        }
        if (qos < 0 || qos > 2) {
            throw new IllegalArgumentException("qos must be 0, 1 or 2, got " + qos);
        }
        long recordSize = RecordCodec.recordSize(t.length, payload.length);
        if (recordSize < 0 || recordSize > maxBytes) {
            throw new IllegalArgumentException("message of " + (recordSize < 0 ? "over 2 GiB" : recordSize + " bytes")
                    + " exceeds the buffer bound of " + maxBytes);
        }
        int size = (int) recordSize;
        while (bytes + size > maxBytes && !entries.isEmpty()) {
            consume(entries.removeFirst());
            dropped++;
        }
        long sequence = nextSequence;
        FileChannel ch = activeSegment(sequence);
        long offset = activeEnd;
        ByteBuffer record = recordBuffer(size);
        int bodyLength = RecordCodec.putBody(record, t, qos, payload);
        codec.seal(record, bodyLength, sequence, offset);
        record.position(0).limit(size);
        while (record.hasRemaining()) {
            ch.write(record, offset + record.position());
        }
        releaseLargeBuffer();
        if (sync) {
            ch.force(false);
        }
        activeEnd = offset + size;
        nextSequence = sequence + 1;
        entries.addLast(new Entry(sequence, segments.lastKey(), ch, offset, size));
        bytes += size;
        // Not forced even with sync: the forced record is what survives; head's "next" only helps count losses.
        headFile.write(head, nextSequence, dropped, corrupt, lostAhead, false);
        deleteConsumedSegments();
        return sequence;
    }

    /** The topic's bytes; telemetry goes to a handful of topics, so the last one is kept. */
    private byte[] topicBytes(String topic) {
        if (!topic.equals(lastTopic)) {
            lastTopicBytes = topic.getBytes(StandardCharsets.UTF_8);
            lastTopic = topic;
        }
        return lastTopicBytes;
    }

    private ByteBuffer recordBuffer(int size) {
        if (recordBuffer.capacity() < size) {
            recordBuffer = ByteBuffer.allocate(Math.max(size, 2 * Math.min(recordBuffer.capacity(), KEEP_BUFFER)));
        }
        recordBuffer.clear();
        return recordBuffer;
    }

    private void releaseLargeBuffer() {
        if (recordBuffer.capacity() > KEEP_BUFFER) {
            recordBuffer = ByteBuffer.allocate(4096);
        }
    }

    private FileChannel activeSegment(long sequence) throws IOException {
        if (segments.isEmpty() || activeEnd >= segmentBytes || newSegmentNeeded) {
            FileChannel ch = openSegment(segmentPath(sequence), StandardOpenOption.CREATE);
            segments.put(sequence, ch);
            activeEnd = ch.size();
            newSegmentNeeded = false;
            updateSecondSegment();
            if (sync) {
                syncDirectory(dir);
            }
        }
        return segments.lastEntry().getValue();
    }

    private static FileChannel openSegment(Path file, StandardOpenOption create) throws IOException {
        return FileChannel.open(file, create, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    private Path segmentPath(long first) {
        return dir.resolve(String.format("seg-%020d.log", first));
    }

    /**
     * @return the oldest unacknowledged message, or null when the queue is empty. A record found
     *     damaged on disk since it was stored is skipped, counted in {@link #corrupt()} and reported.
     */
    public synchronized Message peek() throws IOException {
        ensureOpen();
        for (Entry e; (e = entries.peekFirst()) != null; ) {
            ByteBuffer b = recordBuffer(e.size());
            b.limit(e.size());
            boolean whole = true;
            while (b.hasRemaining()) {
                if (e.channel().read(b, e.offset() + b.position()) < 0) {
                    whole = false; // the file was cut short under us
                    break;
                }
            }
            if (whole && codec.validHeader(b, 0, e.offset()) && RecordCodec.sequence(b, 0) == e.sequence()
                    && RecordCodec.HEADER + RecordCodec.bodyLength(b, 0) == e.size() && codec.validBody(b, 0)) {
                Message m = RecordCodec.decode(b, 0);
                releaseLargeBuffer();
                return m;
            }
            skipDamaged(entries.removeFirst());
        }
        return null;
    }

    private void skipDamaged(Entry e) throws IOException {
        consume(e);
        corrupt++;
        writeHead();
        deleteConsumedSegments();
        damageLog.log(Level.WARNING, String.format("MQTT buffer %s: stored message %d in %s found damaged on disk "
                + "while sending and skipped; %d lost to damage since the buffer was created", dir, e.sequence(),
                segmentPath(e.segment()).getFileName(), corrupt));
    }

    /** Removes every message up to and including {@code sequence} (delivered). */
    public synchronized void acknowledge(long sequence) throws IOException {
        ensureOpen();
        boolean moved = false;
        while (!entries.isEmpty() && entries.peekFirst().sequence() <= sequence) {
            consume(entries.removeFirst());
            moved = true;
        }
        if (moved) {
            writeHead();
            deleteConsumedSegments();
        }
    }

    /** Moves the head past a message that leaves the queue (acknowledged, dropped or damaged). */
    private void consume(Entry e) {
        bytes -= e.size();
        lostAhead -= e.sequence() - head; // the lost sequences it skips
        head = e.sequence() + 1;
    }

    public synchronized int size() {
        return entries.size();
    }

    /** Bytes of the stored records. */
    public synchronized long bytes() {
        return bytes;
    }

    /** Messages dropped because the buffer was full, since it was created (kept across restarts). */
    public synchronized long dropped() {
        return dropped;
    }

    /**
     * Messages lost to damage since the buffer was created (kept across restarts), counted in
     * messages, not bytes: every unacknowledged sequence number for which no intact record was found
     * — damaged or torn records, cut or missing segment files — counted once, when first found; a torn
     * end of the newest segment counts at least one. Sequences are consecutive, so the count is exact
     * as long as {@code head} is intact; when it had to be rebuilt the count restarts at 0 and includes
     * the missing records before the oldest intact one, acknowledged or not.
     */
    public synchronized long corrupt() {
        return corrupt;
    }

    /** Whether every append and acknowledgement is forced to the device. */
    public boolean forcesWrites() {
        return sync;
    }

    /** Where each stored message lies, oldest first. */
    synchronized List<Stored> stored() {
        List<Stored> all = new ArrayList<>(entries.size());
        for (Entry e : entries) {
            all.add(new Stored(e.sequence(), segmentPath(e.segment()), e.offset(), e.size()));
        }
        return all;
    }

    private void writeHead() throws IOException {
        headFile.write(head, nextSequence, dropped, corrupt, lostAhead, sync);
    }

    private void updateSecondSegment() {
        Long second = segments.size() < 2 ? null : segments.higherKey(segments.firstKey());
        secondSegmentFirst = second == null ? Long.MAX_VALUE : second;
    }

    /** Deletes segments whose records are all acknowledged or dropped, except the active one. */
    private void deleteConsumedSegments() throws IOException {
        if (head < secondSegmentFirst) {
            return;
        }
        // A head behind a deleted segment would count its records as lost after a power loss.
        headFile.force();
        while (segments.size() > 1 && head >= secondSegmentFirst) {
            long first = segments.firstKey();
            segments.remove(first).close();
            Files.deleteIfExists(segmentPath(first));
            updateSecondSegment();
        }
        if (sync) {
            syncDirectory(dir);
        }
    }

    static void syncDirectory(Path dir) {
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
        try {
            for (FileChannel ch : segments.values()) {
                ch.force(true);
            }
            headFile.write(head, nextSequence, dropped, corrupt, lostAhead, true);
            deleteConsumedSegments();
        } catch (IOException e) {
            failure = e;
        }
        IOException closing = closeFiles();
        if (failure != null || closing != null) {
            throw failure != null ? failure : closing;
        }
    }

    private IOException closeFiles() {
        IOException failure = null;
        List<AutoCloseable> files = new ArrayList<>(segments.values());
        if (headFile != null) {
            files.add(headFile);
        }
        for (AutoCloseable f : files) {
            try {
                f.close();
            } catch (Exception e) {
                failure = failure == null ? (e instanceof IOException io ? io : new IOException(e)) : failure;
            }
        }
        return failure;
    }
}
