package io.isochron.channel;

import io.isochron.api.scheduling.RunQueueSummary;

/**
 * Decode cost harness (not a test): frames of 32 tasks on 4 vCPUs and 100 latency samples, decoded
 * by one {@link FrameReader}, then decoded and converted to per-vCPU summaries. Prints the best of
 * five rounds after warm-up; figures in docs/benchmarks.md.
 */
public final class DecodeCost {
    private static final int FRAMES = 1000;
    private static final int REPEATS = 50;

    private DecodeCost() {
    }

    public static void main(String[] args) {
        Frame f = new Frame();
        for (int i = 0; i < 32; i++) {
            f.addTask(i, Frame.STATE_RUNNABLE, i % 3 == 0 ? 2 : Frame.NO_HINT, i % 3 == 0 ? 40 : 0, i % 4, 1000,
                    1, 2, 3, 4, 5, 6);
        }
        f.setCycle(1000, 0);
        for (int i = 0; i < 100; i++) {
            f.addLatency(i);
        }
        byte[][] frames = new byte[FRAMES][];
        for (int i = 0; i < FRAMES; i++) {
            f.setHeader(1, i, i * 100_000_000L);
            frames[i] = FrameCodec.encode(f);
        }
        FrameReader reader = new FrameReader(1, null);
        SummaryConverter converter = new SummaryConverter(new double[] {1e9, 1e9, 1e9, 1e9, 1e9, 1e9}, 100_000_000L);
        RunQueueSummary[] perVcpu = {new RunQueueSummary(), new RunQueueSummary(), new RunQueueSummary(),
            new RunQueueSummary()};
        long[] sink = new long[1];
        FrameListener decode = frame -> sink[0] += frame.taskCount();
        FrameListener convert = frame -> sink[0] += converter.convert(frame, perVcpu) + perVcpu[0].taskCount();
        System.out.printf("frame of %d bytes: decode %.2f us, decode + convert %.2f us (best of 5)%n",
                frames[0].length, best(reader, frames, decode), best(reader, frames, convert));
        if (sink[0] == 0) {
            throw new AssertionError("nothing decoded");
        }
    }

    private static double best(FrameReader reader, byte[][] frames, FrameListener listener) {
        double best = Double.MAX_VALUE;
        for (int round = 0; round < 8; round++) {
            long t0 = System.nanoTime();
            for (int rep = 0; rep < REPEATS; rep++) {
                for (byte[] b : frames) {
                    reader.feed(b, 0, b.length, listener);
                }
            }
            double micros = (System.nanoTime() - t0) / 1e3 / ((double) REPEATS * frames.length);
            if (round >= 3) {
                best = Math.min(best, micros);
            }
        }
        return best;
    }
}
