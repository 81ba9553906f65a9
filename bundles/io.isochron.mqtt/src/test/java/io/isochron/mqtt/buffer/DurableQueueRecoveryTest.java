package io.isochron.mqtt.buffer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What survives damage, lost or foreign files and a killed process — and that it is counted and said once. */
class DurableQueueRecoveryTest {
    private static final String TOPIC = "spBv1.0/isochron/NDATA/edge-1";
    private final LogLines log = new LogLines();

    @AfterEach
    void stopCollecting() {
        log.close();
    }

    private static byte[] message(int i, int size) {
        byte[] p = new byte[size];
        byte[] id = ("m" + i + ";").getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(id, 0, p, 0, id.length);
        for (int k = id.length; k < size; k++) {
            p[k] = (byte) (i * 31 + k);
        }
        return p;
    }

    private static String id(DurableQueue.Message m) {
        String s = new String(m.payload(), 0, Math.min(12, m.payload().length), StandardCharsets.US_ASCII);
        return s.substring(0, s.indexOf(';'));
    }

    private static List<String> drain(DurableQueue q) throws IOException {
        List<String> ids = new ArrayList<>();
        for (DurableQueue.Message m; (m = q.peek()) != null; q.acknowledge(m.sequence())) {
            ids.add(id(m));
        }
        return ids;
    }

    private static List<String> ids(int from, int to) {
        List<String> ids = new ArrayList<>();
        for (int i = from; i < to; i++) {
            ids.add("m" + i);
        }
        return ids;
    }

    private static List<Path> segments(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().matches("seg-\\d{20}\\.log")).sorted().toList();
        }
    }

    private static void flip(Path file, long at) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, at);
            b.put(0, (byte) (b.get(0) ^ 0x5A)).rewind();
            ch.write(b, at);
        }
    }

    private static List<DurableQueue.Stored> fill(Path dir, int count, int payload, long segment) throws IOException {
        try (DurableQueue q = DurableQueue.open(dir, 64L << 20, segment, false)) {
            for (int i = 0; i < count; i++) {
                q.append(TOPIC, 2, message(i, payload));
            }
            return q.stored();
        }
    }

    @Test
    void aFlippedByteCostsTheMessageItHitOnly(@TempDir Path dir) throws Exception {
        // The reported case: 1,651 records of 2,540 bytes fill a 4 MiB segment; a byte flipped at a quarter.
        int payload = 2540 - RecordCodec.MIN_RECORD - TOPIC.length();
        List<DurableQueue.Stored> stored = fill(dir, 1651, payload, 4L << 20);
        Path segment = segments(dir).get(0);
        long at = Files.size(segment) / 4;
        flip(segment, at);
        int hit = (int) stored.stream().filter(s -> s.offset() <= at && at < s.offset() + s.size()).findFirst()
                .orElseThrow().sequence();
        try (DurableQueue q = DurableQueue.open(dir, 64L << 20, 4L << 20, false)) {
            assertThat(q.corrupt()).isEqualTo(1);
            assertThat(q.size()).isEqualTo(1650);
            List<String> expected = ids(0, 1651);
            expected.remove("m" + hit);
            assertThat(drain(q)).containsExactlyElementsOf(expected);
        }
        assertThat(log.warnings()).singleElement().asString()
                .contains("1 buffered message(s) lost", segment.getFileName().toString(), "1650 kept");
    }

    @Test
    void damageIsCountedAndReportedOnceAcrossRestarts(@TempDir Path dir) throws Exception {
        List<DurableQueue.Stored> stored = fill(dir, 30, 40, 1 << 20);
        flip(stored.get(10).file(), stored.get(10).offset() + 30);
        flip(stored.get(20).file(), stored.get(20).offset() + 3);
        for (int open = 0; open < 3; open++) {
            try (DurableQueue q = DurableQueue.open(dir, 64L << 20, 1 << 20, false)) {
                assertThat(q.corrupt()).as("open %d", open).isEqualTo(2);
                assertThat(q.size()).isEqualTo(28);
            }
        }
        assertThat(log.warnings()).hasSize(1);
        try (DurableQueue q = DurableQueue.open(dir, 64L << 20, 1 << 20, false)) {
            List<String> expected = ids(0, 30);
            expected.removeAll(List.of("m10", "m20"));
            assertThat(drain(q)).containsExactlyElementsOf(expected);
        }
        try (DurableQueue q = DurableQueue.open(dir, 64L << 20, 1 << 20, false)) {
            assertThat(q.corrupt()).as("acknowledged past the damage").isEqualTo(2);
            assertThat(q.size()).isZero();
        }
    }

    @Test
    void aPayloadCarryingCopiesOfRecordsIsNotTakenForThem(@TempDir Path dir) throws Exception {
        // Records of another buffer with the sequences that come next here: only their place gives them away.
        List<DurableQueue.Stored> other = new ArrayList<>();
        try (DurableQueue q = DurableQueue.open(dir.resolve("other"), 1 << 20, 1 << 20, false)) {
            for (int i = 0; i < 4; i++) {
                q.append("fake", 1, ("fake-" + i + ";").getBytes(StandardCharsets.US_ASCII));
            }
            other.addAll(q.stored());
        }
        ByteBuffer copies = ByteBuffer.allocate(other.get(2).size() + other.get(3).size());
        try (FileChannel ch = FileChannel.open(other.get(2).file(), StandardOpenOption.READ)) {
            ch.read(copies, other.get(2).offset());
        }
        Path queue = dir.resolve("queue");
        List<DurableQueue.Stored> stored;
        try (DurableQueue q = DurableQueue.open(queue, 1 << 20, 1 << 20, false)) {
            q.append(TOPIC, 2, message(0, 20));
            q.append(TOPIC, 2, message(1, 20));
            byte[] carrier = new byte[5 + copies.capacity()];
            System.arraycopy(message(2, 5), 0, carrier, 0, 4);
            System.arraycopy(copies.array(), 0, carrier, 5, copies.capacity());
            q.append(TOPIC, 2, carrier);
            q.append(TOPIC, 2, message(3, 20));
            stored = q.stored();
        }
        flip(stored.get(2).file(), stored.get(2).offset()); // the carrier's sync marker
        try (DurableQueue q = DurableQueue.open(queue, 1 << 20, 1 << 20, false)) {
            assertThat(drain(q)).containsExactly("m0", "m1", "m3");
            assertThat(q.corrupt()).isEqualTo(1);
        }
    }

    @Test
    void aTornEndIsCutOffAndCountsOne(@TempDir Path dir) throws Exception {
        try (DurableQueue q = DurableQueue.open(dir, 1 << 20, 4096, false)) {
            q.append("t", 1, message(0, 10));
            q.append("t", 1, message(1, 10));
        }
        Path segment = segments(dir).get(0);
        long size = Files.size(segment);
        // Power loss in the middle of the next append: a header and half a body.
        try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ch.write(ByteBuffer.allocate(30).putInt(RecordCodec.SYNC).putInt(40).putLong(2).flip());
        }
        try (DurableQueue q = DurableQueue.open(dir, 1 << 20, 4096, false)) {
            assertThat(q.corrupt()).isEqualTo(1);
            assertThat(q.size()).isEqualTo(2);
            assertThat(Files.size(segment)).isEqualTo(size);
            // The cut message's sequence stays counted as lost; the next one goes on from there.
            assertThat(q.append("t", 1, message(2, 10))).isEqualTo(3);
            assertThat(drain(q)).containsExactly("m0", "m1", "m2");
        }
        assertThat(log.warnings()).singleElement().asString().contains("torn end of " + segment.getFileName());
        try (DurableQueue q = DurableQueue.open(dir, 1 << 20, 4096, false)) {
            assertThat(q.corrupt()).isEqualTo(1);
        }
    }

    @Test
    void aSegmentCutAtARecordBoundaryStillCountsWhatItHeld(@TempDir Path dir) throws Exception {
        List<DurableQueue.Stored> stored = fill(dir, 10, 30, 1 << 20);
        try (FileChannel ch = FileChannel.open(stored.get(6).file(), StandardOpenOption.WRITE)) {
            ch.truncate(stored.get(6).offset());
        }
        try (DurableQueue q = DurableQueue.open(dir, 64L << 20, 1 << 20, false)) {
            assertThat(q.corrupt()).isEqualTo(4);
            q.append(TOPIC, 2, message(10, 30));
            assertThat(drain(q)).containsExactlyElementsOf(List.of("m0", "m1", "m2", "m3", "m4", "m5", "m10"));
        }
    }

    @Test
    void aMissingSegmentFileCountsItsMessages(@TempDir Path dir) throws Exception {
        List<DurableQueue.Stored> stored = fill(dir, 60, 60, 1024);
        Path second = segments(dir).get(1);
        List<String> lost = stored.stream().filter(s -> s.file().equals(second)).map(s -> "m" + s.sequence()).toList();
        Files.delete(second);
        try (DurableQueue q = DurableQueue.open(dir, 64L << 20, 1024, false)) {
            assertThat(q.corrupt()).isEqualTo(lost.size());
            List<String> expected = ids(0, 60);
            expected.removeAll(lost);
            assertThat(drain(q)).containsExactlyElementsOf(expected);
        }
        assertThat(log.warnings()).singleElement().asString().contains(lost.size() + " buffered message(s) lost");
    }

    private static void fillAndAcknowledge(Path dir, int count, int acknowledged) throws IOException {
        try (DurableQueue q = DurableQueue.open(dir, 64L << 20, 1 << 20, false)) {
            for (int i = 0; i < count; i++) {
                q.append(TOPIC, 2, message(i, 100));
            }
            for (int i = 0; i < acknowledged; i++) {
                q.acknowledge(q.peek().sequence());
            }
        }
    }

    @Test
    void aMissingHeadIsRebuiltFromTheSegments(@TempDir Path dir) throws Exception {
        fillAndAcknowledge(dir, 100, 30);
        Files.delete(dir.resolve("head"));
        try (DurableQueue q = DurableQueue.open(dir, 64L << 20, 1 << 20, false)) {
            // Acknowledged messages still stored go out again: nothing is dropped silently.
            assertThat(drain(q)).containsExactlyElementsOf(ids(0, 100));
            assertThat(q.corrupt()).isZero();
        }
        assertThat(log.warnings()).singleElement().asString().contains("file head is missing", "resuming at the oldest");
    }

    @Test
    void aHeadWithBothSlotsDamagedIsRebuiltFromTheSegments(@TempDir Path dir) throws Exception {
        fillAndAcknowledge(dir, 100, 30);
        flip(dir.resolve("head"), 0);
        flip(dir.resolve("head"), 64 + 20);
        try (DurableQueue q = DurableQueue.open(dir, 64L << 20, 1 << 20, false)) {
            assertThat(drain(q)).containsExactlyElementsOf(ids(0, 100));
        }
        assertThat(log.warnings()).singleElement().asString().contains("file head is damaged");
    }

    @Test
    void aHeadWithOneSlotDamagedKeepsItsPlace(@TempDir Path dir) throws Exception {
        fillAndAcknowledge(dir, 100, 30);
        flip(dir.resolve("head"), 0); // the first byte, as reported
        try (DurableQueue q = DurableQueue.open(dir, 64L << 20, 1 << 20, false)) {
            assertThat(drain(q)).containsExactlyElementsOf(ids(30, 100));
        }
        assertThat(log.warnings()).isEmpty();
        assertThat(log.all()).singleElement().asString().contains("one slot of file head is damaged");
    }

    @Test
    void foreignFilesAreLeftAloneWithOneWarningEach(@TempDir Path dir) throws Exception {
        fill(dir, 50, 100, 1 << 20);
        Files.copy(segments(dir).get(0), dir.resolve("seg-00000000000000000000 (copy).log"));
        Files.writeString(dir.resolve("notes.txt"), "x");
        Files.writeString(dir.resolve("seg-99999999999999999999.log"), "beyond a long");
        Files.writeString(dir.resolve("seg-12.log"), "too short a name");
        Files.createDirectory(dir.resolve("seg-00000000000000000077.log"));
        try (DurableQueue q = DurableQueue.open(dir, 64L << 20, 1 << 20, false)) {
            assertThat(drain(q)).containsExactlyElementsOf(ids(0, 50));
            assertThat(q.corrupt()).isZero();
        }
        assertThat(log.warnings()).hasSize(5).allSatisfy(w -> assertThat(w).contains("ignoring"));
        assertThat(log.warnings()).anySatisfy(w -> assertThat(w).contains("seg-00000000000000000000 (copy).log"));
        assertThat(Files.readString(dir.resolve("seg-12.log"))).isEqualTo("too short a name");
        assertThat(dir.resolve("seg-00000000000000000000 (copy).log")).exists();
    }

    @Test
    void damageFoundWhileSendingIsSkippedCountedAndReported(@TempDir Path dir) throws Exception {
        try (DurableQueue q = DurableQueue.open(dir, 1 << 20, 4096, false)) {
            for (int i = 0; i < 5; i++) {
                q.append(TOPIC, 2, message(i, 30));
            }
            DurableQueue.Stored third = q.stored().get(2);
            flip(third.file(), third.offset() + third.size() - 1);
            assertThat(drain(q)).containsExactly("m0", "m1", "m3", "m4");
            assertThat(q.corrupt()).isEqualTo(1);
        }
        assertThat(log.warnings()).singleElement().asString().contains("found damaged on disk while sending");
        try (DurableQueue q = DurableQueue.open(dir, 1 << 20, 4096, false)) {
            assertThat(q.corrupt()).isEqualTo(1);
        }
    }

    // ---- the previous version's files ----

    private static void writeLegacySegment(Path file, int first, int count, int damaged) throws IOException {
        ByteBuffer out = ByteBuffer.allocate(count * 200);
        for (int i = first; i < first + count; i++) {
            byte[] topic = TOPIC.getBytes(StandardCharsets.UTF_8);
            byte[] payload = message(i, 40);
            ByteBuffer body = ByteBuffer.allocate(8 + 2 + topic.length + 1 + payload.length);
            body.putLong(i).putShort((short) topic.length).put(topic).put((byte) 2).put(payload);
            CRC32 crc = new CRC32();
            crc.update(body.array());
            if (i == damaged) {
                body.put(body.capacity() - 1, (byte) 0x77);
            }
            out.putInt(body.capacity()).putInt((int) crc.getValue()).put(body.array());
        }
        Files.write(file, java.util.Arrays.copyOf(out.array(), out.position()));
    }

    @Test
    void aBufferOfThePreviousVersionIsConvertedOnce(@TempDir Path dir) throws Exception {
        writeLegacySegment(dir.resolve("seg-00000000000000000000.log"), 0, 10, 5);
        writeLegacySegment(dir.resolve("seg-00000000000000000010.log"), 10, 10, -1);
        Files.write(dir.resolve("head"), ByteBuffer.allocate(24).putLong(2).putLong(7).putLong(1).array());
        List<String> expected = new ArrayList<>(List.of("m2", "m3", "m4"));
        expected.addAll(ids(10, 20));
        try (DurableQueue q = DurableQueue.open(dir, 64L << 20, 1 << 20, false)) {
            assertThat(q.dropped()).isEqualTo(7);
            // The old format cannot step over its damaged record: 5..9 are lost (and were 1 before).
            assertThat(q.corrupt()).isEqualTo(1 + 5);
            assertThat(q.size()).isEqualTo(expected.size());
        }
        for (Path segment : segments(dir)) {
            assertThat(ByteBuffer.wrap(Files.readAllBytes(segment)).getInt()).isEqualTo(RecordCodec.SYNC);
        }
        assertThat(log.all()).anySatisfy(l -> assertThat(l).contains("converted 2 segment(s)"));
        log.clear();
        try (DurableQueue q = DurableQueue.open(dir, 64L << 20, 1 << 20, false)) {
            assertThat(q.corrupt()).isEqualTo(6);
            assertThat(drain(q)).containsExactlyElementsOf(expected);
        }
        assertThat(log.all()).isEmpty();
    }

    // ---- a killed process ----

    @Test
    void afterACrashNothingAcknowledgedIsDeliveredAgain(@TempDir Path dir) throws Exception {
        DurableQueue crashed = DurableQueue.open(dir, 1 << 20, 4096, false);
        for (int i = 0; i < 1000; i++) {
            crashed.append("t", 1, message(i, 20));
        }
        for (int i = 0; i < 600; i++) {
            crashed.acknowledge(crashed.peek().sequence());
        }
        // No close(): the process dies; a second instance opens the same directory.
        try (DurableQueue after = DurableQueue.open(dir, 1 << 20, 4096, false)) {
            assertThat(after.size()).isEqualTo(400);
            assertThat(id(after.peek())).isEqualTo("m600");
            assertThat(after.dropped()).isZero();
            assertThat(after.corrupt()).isZero();
        }
    }

    @Test
    void aKilledProcessDeliversNothingItAcknowledgedAgain(@TempDir Path dir) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        int total = 20_000;
        for (int acknowledgements : new int[] {300, 2_000, 7_000}) {
            Path buffer = dir.resolve("kill-" + acknowledgements);
            fill(buffer, total, 100, 256 * 1024);
            Process child = new ProcessBuilder(java, "-cp", classPath, AcknowledgingProcess.class.getName(),
                    buffer.toString(), Integer.toString(256 * 1024)).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            long lastPrinted = -1;
            try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.US_ASCII))) {
                assertThat(out.readLine()).isEqualTo("ready");
                while (lastPrinted < acknowledgements) {
                    lastPrinted = Long.parseLong(out.readLine());
                }
                child.toHandle().destroyForcibly(); // SIGKILL, in the middle of acknowledging
                assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();
                for (String line; (line = out.readLine()) != null; ) {
                    lastPrinted = Long.parseLong(line);
                }
            }
            try (DurableQueue q = DurableQueue.open(buffer, 64L << 20, 256 * 1024, false)) {
                long first = q.peek().sequence();
                // Everything it said it acknowledged stays acknowledged; at most the one it had no time to print.
                assertThat(first).as("after %d", lastPrinted).isBetween(lastPrinted + 1, lastPrinted + 2);
                assertThat(q.size()).isEqualTo(total - first);
                assertThat(q.corrupt()).isZero();
            }
        }
    }
}
