package io.isochron.mqtt.buffer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DurableQueueTest {
    private static final long SEGMENT = 4096;

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(DurableQueue.Message m) {
        return new String(m.payload(), StandardCharsets.UTF_8);
    }

    @Test
    void deliversInOrderAndForgetsWhatWasAcknowledged(@TempDir Path dir) throws Exception {
        try (DurableQueue q = DurableQueue.open(dir, 64 * 1024, SEGMENT, false)) {
            long a = q.append("spBv1.0/g/NDATA/n", 0, bytes("a"));
            long b = q.append("spBv1.0/g/NDATA/n", 1, bytes("b"));
            assertThat(b).isEqualTo(a + 1);
            assertThat(q.size()).isEqualTo(2);
            DurableQueue.Message m = q.peek();
            assertThat(m.topic()).isEqualTo("spBv1.0/g/NDATA/n");
            assertThat(text(m)).isEqualTo("a");
            assertThat(m.qos()).isZero();
            q.acknowledge(m.sequence());
            assertThat(text(q.peek())).isEqualTo("b");
            assertThat(q.peek().qos()).isEqualTo(1);
            q.acknowledge(b);
            assertThat(q.peek()).isNull();
            assertThat(q.bytes()).isZero();
        }
    }

    @Test
    void survivesARestartInOrder(@TempDir Path dir) throws Exception {
        try (DurableQueue q = DurableQueue.open(dir, 1 << 20, SEGMENT, false)) {
            for (int i = 0; i < 1000; i++) {
                q.append("t/" + i, 1, bytes("m" + i));
            }
            for (int i = 0; i < 300; i++) {
                q.acknowledge(q.peek().sequence());
            }
        }
        try (DurableQueue q = DurableQueue.open(dir, 1 << 20, SEGMENT, false)) {
            assertThat(q.size()).isEqualTo(700);
            for (int i = 300; i < 1000; i++) {
                DurableQueue.Message m = q.peek();
                assertThat(text(m)).isEqualTo("m" + i);
                assertThat(m.topic()).isEqualTo("t/" + i);
                q.acknowledge(m.sequence());
            }
            long next = q.append("t", 0, bytes("after"));
            assertThat(next).isEqualTo(1000);
        }
        // Fully consumed segments are deleted; the active one stays.
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.filter(f -> f.getFileName().toString().startsWith("seg-")).count()).isEqualTo(1);
        }
    }

    @Test
    void whenFullTheOldestAreDroppedAndCounted(@TempDir Path dir) throws Exception {
        int record;
        try (DurableQueue q = DurableQueue.open(dir, 8192, SEGMENT, true)) {
            q.append("t", 0, new byte[100]);
            record = (int) q.bytes();
            for (int i = 1; i < 200; i++) {
                q.append("t", 0, ByteBuffer.allocate(100).putInt(0, i).array());
            }
            assertThat(q.bytes()).isLessThanOrEqualTo(8192);
            assertThat(q.size()).isEqualTo(8192 / record);
            assertThat(q.dropped()).isEqualTo(200 - 8192 / record);
            assertThat(ByteBuffer.wrap(q.peek().payload()).getInt()).isEqualTo((int) q.dropped());
        }
        try (DurableQueue q = DurableQueue.open(dir, 8192, SEGMENT, true)) {
            assertThat(q.dropped()).as("drop count survives a restart").isEqualTo(200 - 8192 / record);
            assertThat(ByteBuffer.wrap(q.peek().payload()).getInt()).isEqualTo((int) q.dropped());
        }
    }

    @Test
    void badInputIsRejected(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> DurableQueue.open(dir, 100, 50, false)).hasMessageContaining("segmentBytes >= 1024");
        try (DurableQueue q = DurableQueue.open(dir, 2048, 1024, false)) {
            assertThatThrownBy(() -> q.append("t", 3, new byte[1])).hasMessage("qos must be 0, 1 or 2, got 3");
            assertThatThrownBy(() -> q.append("t", 0, new byte[4000])).hasMessageContaining("exceeds the buffer bound of 2048");
            assertThat(q.size()).isZero();
        }
    }

    // ---- model-based property: any sequence of appends, acknowledgements and restarts ----

    sealed interface Op permits Append, Ack, Reopen {}

    record Append(int size) implements Op {}

    record Ack(int count) implements Op {}

    record Reopen() implements Op {}

    @Provide
    Arbitrary<List<Op>> operations() {
        Arbitrary<Op> op = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, Arbitraries.integers().between(0, 600).map(Append::new)),
                net.jqwik.api.Tuple.of(3, Arbitraries.integers().between(1, 5).map(Ack::new)),
                net.jqwik.api.Tuple.of(1, Arbitraries.just(new Reopen())));
        return op.list().ofMaxSize(120);
    }

    @Property(tries = 200)
    void behavesLikeABoundedDropOldestQueue(@ForAll("operations") List<Op> ops) throws Exception {
        Path dir = Files.createTempDirectory("durable-queue");
        long max = 6000;
        ArrayDeque<long[]> model = new ArrayDeque<>(); // {sequence, recordSize}
        long modelBytes = 0;
        long modelDropped = 0;
        long next = 0;
        DurableQueue q = DurableQueue.open(dir, max, 1024, false);
        try {
            for (Op op : ops) {
                if (op instanceof Append a) {
                    int size = RecordCodec.HEADER + 2 + 1 + 1 + a.size(); // header, topic length, topic "t", qos
                    while (modelBytes + size > max && !model.isEmpty()) {
                        modelBytes -= model.removeFirst()[1];
                        modelDropped++;
                    }
                    model.addLast(new long[] {next, size});
                    modelBytes += size;
                    assertThat(q.append("t", 0, payload(next, a.size()))).isEqualTo(next);
                    next++;
                } else if (op instanceof Ack ack) {
                    for (int i = 0; i < ack.count() && !model.isEmpty(); i++) {
                        long[] head = model.removeFirst();
                        modelBytes -= head[1];
                        DurableQueue.Message m = q.peek();
                        assertThat(m.sequence()).isEqualTo(head[0]);
                        assertThat(m.payload()).isEqualTo(payload(head[0], m.payload().length));
                        q.acknowledge(m.sequence());
                    }
                } else {
                    q.close();
                    q = DurableQueue.open(dir, max, 1024, false);
                }
                assertThat(q.size()).isEqualTo(model.size());
                assertThat(q.bytes()).isEqualTo(modelBytes);
                assertThat(q.dropped()).isEqualTo(modelDropped);
                assertThat(q.peek() == null ? -1 : q.peek().sequence())
                        .isEqualTo(model.isEmpty() ? -1 : model.peekFirst()[0]);
            }
        } finally {
            q.close();
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    private static byte[] payload(long sequence, int size) {
        byte[] p = new byte[size];
        for (int i = 0; i < size; i++) {
            p[i] = (byte) (sequence * 31 + i);
        }
        return p;
    }
}
