package io.isochron.channel;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/** Frames for tests, built the way the guest agent builds them. */
public final class TestFrames {
    private TestFrames() {
    }

    /** A frame of vm {@code vm}, sequence {@code seq}, guest time seq × 100 ms, two tasks and a cycle block. */
    public static Frame sample(long vm, long seq) {
        Frame f = new Frame().setHeader(vm, seq, 1_000_000_000L + seq * 100_000_000L);
        f.addTask(100 + (int) seq, Frame.STATE_RUNNING, Frame.NO_HINT, 0, 0, 40_000, 0, 5_000_000, 0, 0, 0, 1_000_000);
        f.addTask(7, Frame.STATE_RUNNABLE, 4, 35, 1, 2_000);
        f.setCycle(1_000, 2);
        for (int i = 0; i < 5; i++) {
            f.addLatency(10 + i);
        }
        return f;
    }

    public static byte[] encoded(long vm, long seq) {
        return FrameCodec.encode(sample(vm, seq));
    }

    public static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** Collects copies of the frames a reader delivers. */
    public static final class Collector implements FrameListener {
        public final List<Frame> frames = new ArrayList<>();

        @Override
        public void onFrame(Frame frame) {
            frames.add(frame.copy());
        }

        public List<Long> sequences() {
            List<Long> s = new ArrayList<>();
            for (Frame f : frames) {
                s.add(f.sequence());
            }
            return s;
        }
    }
}
