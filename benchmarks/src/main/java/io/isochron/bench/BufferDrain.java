package io.isochron.bench;

import io.isochron.mqtt.buffer.DurableQueue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The store-and-forward buffer on its own (no broker): fill it with N telemetry-sized messages,
 * reopen it as after a restart, and drain it message by message (peek + acknowledge), with and
 * without forcing every write to the device. Five rounds each; prints every round.
 * Usage: {@code java -cp benchmarks/target/benchmarks.jar io.isochron.bench.BufferDrain [N] [DIR]}
 */
public final class BufferDrain {
    private BufferDrain() {}

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        Path base = args.length > 1 ? Path.of(args[1]) : Files.createTempDirectory("buffer-drain");
        byte[] payload = new byte[300]; // about one Sparkplug NDATA with a dozen metrics
        for (boolean sync : new boolean[] {false, true}) {
            for (int round = 0; round < 5; round++) {
                Path dir = base.resolve("q-" + sync + "-" + round);
                long fillStart = System.nanoTime();
                try (DurableQueue q = DurableQueue.open(dir, 64L << 20, 1 << 20, sync)) {
                    for (int i = 0; i < n; i++) {
                        q.append("spBv1.0/isochron/NDATA/edge-1", 1, payload);
                    }
                }
                long fill = System.nanoTime() - fillStart;
                long drainStart = System.nanoTime();
                int drained = 0;
                try (DurableQueue q = DurableQueue.open(dir, 64L << 20, 1 << 20, sync)) {
                    for (DurableQueue.Message m; (m = q.peek()) != null; q.acknowledge(m.sequence())) {
                        drained++;
                    }
                }
                long drain = System.nanoTime() - drainStart;
                System.out.printf("sync=%-5s round %d: fill %d in %.3f s, reopen + drain %d in %.3f s (%.0f msg/s)%n",
                        sync, round, n, fill / 1e9, drained, drain / 1e9, drained / (drain / 1e9));
                try (Stream<Path> files = Files.walk(dir)) {
                    files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                }
            }
        }
    }
}
