package io.isochron.mqtt.buffer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * Random appends and acknowledgements, interrupted by closes or crashes (no close) after which the
 * files are damaged at random — bytes flipped, segments cut or deleted, {@code head} deleted or
 * damaged, foreign files added — and the buffer reopened: every intact message (no byte of it
 * touched) not yet acknowledged is delivered, in order, exactly once, and {@link DurableQueue#corrupt()}
 * grows by exactly the unacknowledged messages that were touched. The one documented exception:
 * when {@code head} was damaged, acknowledged or dropped messages still stored may come first,
 * again, and the counters may restart.
 *
 * <p>Tries: {@code -Djqwik.tries.default=N} (default in junit-platform.properties).
 */
class DurableQueueDamagePropertyTest {
    private static final long MAX_BYTES = 12_000;
    private static final long SEGMENT = 2048;

    sealed interface Step permits Append, Acknowledge, Restart {}

    record Append(int size) implements Step {}

    record Acknowledge(int count) implements Step {}

    /** Close (or crash: no close), damage the files, reopen. */
    record Restart(boolean crash, List<Damage> damage) implements Step {}

    sealed interface Damage permits Flip, Cut, DeleteSegment, DeleteHead, FlipHead, Foreign {}

    /** {@code count} bytes from a fraction {@code at} of segment file {@code file} (modulo their number). */
    record Flip(int file, double at, int count, int mask) implements Damage {}

    record Cut(int file, double at) implements Damage {}

    record DeleteSegment(int file) implements Damage {}

    record DeleteHead() implements Damage {}

    record FlipHead(int at, int mask) implements Damage {}

    record Foreign(int kind) implements Damage {}

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<Damage> damage = Arbitraries.frequencyOf(
                Tuple.of(8, Combinators.combine(Arbitraries.integers().between(0, 9), Arbitraries.doubles().between(0, 1),
                        Arbitraries.integers().between(1, 6), Arbitraries.integers().between(1, 255)).as(Flip::new)),
                Tuple.of(3, Combinators.combine(Arbitraries.integers().between(0, 9), Arbitraries.doubles().between(0, 1))
                        .as(Cut::new)),
                Tuple.of(1, Arbitraries.integers().between(0, 9).map(DeleteSegment::new)),
                Tuple.of(1, Arbitraries.just(new DeleteHead())),
                Tuple.of(2, Combinators.combine(Arbitraries.integers().between(0, 127), Arbitraries.integers().between(1, 255))
                        .as(FlipHead::new)),
                Tuple.of(2, Arbitraries.integers().between(0, 3).map(Foreign::new)));
        Arbitrary<Step> step = Arbitraries.frequencyOf(
                Tuple.of(10, Arbitraries.integers().between(0, 400).map(Append::new)),
                Tuple.of(5, Arbitraries.integers().between(1, 6).map(Acknowledge::new)),
                Tuple.of(2, Combinators.combine(Arbitraries.of(true, false), damage.list().ofMaxSize(3)).as(Restart::new)));
        return step.list().ofMinSize(5).ofMaxSize(80);
    }

    @Property
    void intactMessagesSurviveAnyDamageAndLossIsCounted(@ForAll("steps") List<Step> steps) throws Exception {
        Path dir = Files.createTempDirectory("durable-queue-damage");
        List<DurableQueue> crashed = new ArrayList<>();
        Model model = new Model();
        DurableQueue q = DurableQueue.open(dir, MAX_BYTES, SEGMENT, false);
        try (LogLines log = new LogLines()) {
            for (Step step : steps) {
                if (step instanceof Append a) {
                    model.append(q, a.size());
                } else if (step instanceof Acknowledge ack) {
                    model.acknowledge(q, ack.count());
                } else if (step instanceof Restart r) {
                    List<DurableQueue.Stored> stored = q.stored();
                    if (r.crash()) {
                        crashed.add(q); // its files stay open, nothing more is written: as if killed
                    } else {
                        q.close();
                    }
                    Damaged damaged = damage(dir, r.damage(), model.foreign, model.flipped);
                    log.clear();
                    q = DurableQueue.open(dir, MAX_BYTES, SEGMENT, false);
                    model.reopened(q, stored, damaged);
                    // One line per foreign file, at most three about the buffer itself: no storm.
                    assertThat(log.all().size()).isLessThanOrEqualTo(model.foreign.size() + 3);
                }
            }
            model.drainAndCheck(q);
            for (Map.Entry<Path, byte[]> f : model.foreign.entrySet()) {
                assertThat(Files.readAllBytes(f.getKey())).as("foreign file left alone").isEqualTo(f.getValue());
            }
        } finally {
            q.close();
            for (DurableQueue c : crashed) {
                c.close();
            }
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /** What the damage touched: byte ranges per segment file, and whether head was hit. */
    record Damaged(Map<Path, List<long[]>> ranges, boolean head) {
        boolean touched(DurableQueue.Stored s) {
            for (long[] r : ranges.getOrDefault(s.file(), List.of())) {
                if (r[0] < s.offset() + s.size() && s.offset() < r[1]) {
                    return true;
                }
            }
            return false;
        }
    }

    /**
     * Applies the damage; a byte is never flipped twice (a second flip could restore it), so
     * {@code flipped} keeps the positions already flipped per file.
     */
    private static Damaged damage(Path dir, List<Damage> damage, Map<Path, byte[]> foreign,
            Map<Path, Set<Long>> flipped) throws IOException {
        Map<Path, List<long[]>> ranges = new HashMap<>();
        boolean head = false;
        for (Damage d : damage) {
            List<Path> segments;
            try (Stream<Path> files = Files.list(dir)) {
                segments = files.filter(f -> f.getFileName().toString().matches("seg-\\d{20}\\.log"))
                        .filter(f -> !foreign.containsKey(f)).sorted().toList();
            }
            Path headFile = dir.resolve("head");
            if (d instanceof Flip f && !segments.isEmpty()) {
                Path file = segments.get(f.file() % segments.size());
                long size = Files.size(file);
                long from = Math.min(size - 1, (long) (f.at() * size));
                for (long at = from; at >= 0 && at < Math.min(size, from + f.count()); at++) {
                    if (flipped.computeIfAbsent(file, k -> new HashSet<>()).add(at)) {
                        xor(file, at, f.mask());
                        ranges.computeIfAbsent(file, k -> new ArrayList<>()).add(new long[] {at, at + 1});
                    }
                }
            } else if (d instanceof Cut c && !segments.isEmpty()) {
                Path file = segments.get(c.file() % segments.size());
                long at = (long) (c.at() * Files.size(file));
                try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                    ch.truncate(at);
                }
                flipped.getOrDefault(file, new HashSet<>()).removeIf(p -> p >= at);
                ranges.computeIfAbsent(file, k -> new ArrayList<>()).add(new long[] {at, Long.MAX_VALUE});
            } else if (d instanceof DeleteSegment s && !segments.isEmpty()) {
                Path file = segments.get(s.file() % segments.size());
                Files.delete(file);
                flipped.remove(file);
                ranges.computeIfAbsent(file, k -> new ArrayList<>()).add(new long[] {0, Long.MAX_VALUE});
            } else if (d instanceof DeleteHead) {
                head |= Files.deleteIfExists(headFile);
            } else if (d instanceof FlipHead f && Files.exists(headFile) && f.at() < Files.size(headFile)) {
                xor(headFile, f.at(), f.mask()); // rewritten on every open: a second flip is new damage
                head |= f.at() % 64 < 56; // a slot's data, not its padding
            } else if (d instanceof Foreign f) {
                String name = switch (f.kind()) {
                    case 0 -> "seg-00000000000000000000 (copy).log";
                    case 1 -> "notes.txt";
                    case 2 -> "seg-99999999999999999999.log";
                    default -> "seg-7.log";
                };
                byte[] content = ("not a segment: " + name).getBytes();
                Files.write(dir.resolve(name), content);
                foreign.put(dir.resolve(name), content);
            }
        }
        return new Damaged(ranges, head);
    }

    private static void xor(Path file, long at, int mask) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, at);
            ch.write(b.put(0, (byte) (b.get(0) ^ mask)).rewind(), at);
        }
    }

    /** What must come out of the buffer, by message id (carried in every payload). */
    private static final class Model {
        final ArrayDeque<Long> expected = new ArrayDeque<>();
        /** Acknowledged or dropped: may come again, first, only after head was damaged. */
        final Set<Long> consumed = new HashSet<>();
        final Map<Long, Long> idOfSequence = new HashMap<>();
        final Map<Path, byte[]> foreign = new HashMap<>();
        final Map<Path, Set<Long>> flipped = new HashMap<>();
        long nextId;
        /** Messages at the front of the buffer that come again (head was damaged). */
        long again;
        long lastAgain = -1;
        long dropped;
        long corrupt;

        void append(DurableQueue q, int size) throws IOException {
            long id = nextId++;
            long sequence = q.append("t", 1, payload(id, size));
            idOfSequence.put(sequence, id);
            expected.addLast(id);
            long drops = q.dropped() - dropped;
            dropped = q.dropped();
            for (long i = 0; i < drops; i++) {
                if (again > 0) {
                    again--;
                } else {
                    consumed.add(expected.removeFirst());
                }
            }
            assertThat(q.size()).isEqualTo(expected.size() + again);
        }

        void acknowledge(DurableQueue q, int count) throws IOException {
            for (int i = 0; i < count; i++) {
                DurableQueue.Message m = q.peek();
                if (m == null) {
                    assertThat(expected).isEmpty();
                    assertThat(again).isZero();
                    return;
                }
                long id = idOf(m);
                if (again > 0) {
                    assertThat(consumed).as("only what was acknowledged or dropped comes again").contains(id);
                    assertThat(id).as("in order").isGreaterThan(lastAgain);
                    lastAgain = id;
                    again--;
                } else {
                    assertThat(id).as("the next intact message").isEqualTo(expected.removeFirst());
                    consumed.add(id);
                }
                q.acknowledge(m.sequence());
            }
        }

        void reopened(DurableQueue q, List<DurableQueue.Stored> stored, Damaged damaged) {
            long lost = 0;
            for (DurableQueue.Stored s : stored) {
                if (damaged.touched(s)) {
                    Long id = idOfSequence.get(s.sequence());
                    if (!expected.remove(id)) {
                        again--; // one that was to come again is gone instead
                    }
                    lost++;
                }
            }
            again = Math.max(0, again);
            if (damaged.head()) {
                // The counters may restart and acknowledged messages still stored come first, again.
                assertThat(q.size()).isGreaterThanOrEqualTo(expected.size());
                again = q.size() - expected.size();
                lastAgain = -1;
            } else {
                assertThat(q.corrupt() - corrupt).as("touched messages counted").isEqualTo(lost);
                assertThat(q.dropped()).isEqualTo(dropped);
                assertThat(q.size()).isEqualTo(expected.size() + again);
            }
            corrupt = q.corrupt();
            dropped = q.dropped();
        }

        void drainAndCheck(DurableQueue q) throws IOException {
            acknowledge(q, Integer.MAX_VALUE);
            assertThat(q.peek()).isNull();
            assertThat(expected).isEmpty();
        }

        private long idOf(DurableQueue.Message m) {
            ByteBuffer p = ByteBuffer.wrap(m.payload());
            long id = p.getLong(0);
            assertThat(m.payload()).as("payload of %d intact", id).isEqualTo(payload(id, m.payload().length));
            return id;
        }
    }

    private static byte[] payload(long id, int size) {
        byte[] p = new byte[Math.max(8, size)];
        ByteBuffer.wrap(p).putLong(0, id);
        for (int i = 8; i < p.length; i++) {
            p[i] = (byte) (id * 131 + i);
        }
        return p;
    }
}
