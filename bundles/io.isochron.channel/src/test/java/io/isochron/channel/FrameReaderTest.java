package io.isochron.channel;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FrameReaderTest {

    @Test
    void decodesConsecutiveFramesFedByteByByte() {
        byte[] stream = TestFrames.concat(TestFrames.encoded(3, 1), TestFrames.encoded(3, 2), TestFrames.encoded(3, 3));
        FrameReader reader = new FrameReader(3, null);
        TestFrames.Collector got = new TestFrames.Collector();
        for (int i = 0; i < stream.length; i++) {
            reader.feed(stream, i, 1, got);
        }
        assertThat(got.sequences()).containsExactly(1L, 2L, 3L);
        assertThat(got.frames.get(1).intervalNanos()).isEqualTo(100_000_000L);
        assertThat(got.frames.get(0).intervalNanos()).isZero();
        ChannelStats s = reader.stats();
        assertThat(s.frames()).isEqualTo(3);
        assertThat(s.bytes()).isEqualTo(stream.length);
        assertThat(s.rejectedTotal()).isZero();
        assertThat(s.skippedBytes()).isZero();
    }

    @Test
    void resynchronisesAfterGarbageAndCountsItOnce() {
        byte[] garbage = "noise without any frame in it ISO ISOx".getBytes();
        byte[] stream = TestFrames.concat(garbage, TestFrames.encoded(3, 1), garbage, TestFrames.encoded(3, 2));
        FrameReader reader = new FrameReader(3, null);
        TestFrames.Collector got = new TestFrames.Collector();
        reader.feed(stream, 0, stream.length, got);
        assertThat(got.sequences()).containsExactly(1L, 2L);
        assertThat(reader.stats().rejected(RejectReason.MAGIC)).isEqualTo(2);
        assertThat(reader.stats().skippedBytes()).isEqualTo(2L * garbage.length);
    }

    @Test
    void aDamagedFrameCostsOnlyItself() {
        byte[] bad = TestFrames.encoded(3, 2);
        bad[40] ^= 0x10;
        byte[] badLength = TestFrames.encoded(3, 3);
        badLength[7] = (byte) 0xF0; // claims ~61 KiB
        byte[] stream = TestFrames.concat(TestFrames.encoded(3, 1), bad, badLength, TestFrames.encoded(3, 4));
        FrameReader reader = new FrameReader(3, null);
        TestFrames.Collector got = new TestFrames.Collector();
        reader.feed(stream, 0, stream.length, got);
        assertThat(got.sequences()).containsExactly(1L, 4L);
        assertThat(reader.stats().rejected(RejectReason.CRC)).isEqualTo(1);
        assertThat(reader.stats().rejected(RejectReason.LENGTH)).isEqualTo(1);
        assertThat(reader.stats().rejected(RejectReason.MAGIC)).isZero();
        assertThat(reader.stats().lost()).isEqualTo(2);
        assertThat(got.frames.get(1).lostBefore()).isEqualTo(2);
        assertThat(got.frames.get(1).intervalNanos()).as("deltas span unknown time after a gap").isZero();
    }

    @Test
    void aFrameHiddenInsideADamagedOneIsFound() {
        // A frame cut short by a restarting agent, followed by a complete one: the reader must not
        // swallow the complete frame as the rest of the cut one.
        byte[] cut = TestFrames.encoded(3, 1);
        byte[] whole = TestFrames.encoded(3, 2);
        byte[] stream = TestFrames.concat(java.util.Arrays.copyOf(cut, cut.length - 20), whole);
        FrameReader reader = new FrameReader(3, null);
        TestFrames.Collector got = new TestFrames.Collector();
        reader.feed(stream, 0, stream.length, got);
        assertThat(got.sequences()).containsExactly(2L);
        assertThat(reader.stats().rejectedTotal()).isEqualTo(1);
    }

    @ParameterizedTest(name = "{0} byte(s) missing")
    @ValueSource(ints = {1, 2})
    void aFrameCompletedByTheNextMagicIsDeliveredAndTheNextFrameToo(int missing) {
        // The missing tail of the cut frame equals the first bytes of the next frame's magic, so the
        // cut frame is reconstructed exactly; the next frame must not be lost to the overlap.
        long seq = sequenceWhoseFrameEndsWithMagicPrefix(missing);
        byte[] cut = TestFrames.encoded(3, seq);
        cut = java.util.Arrays.copyOf(cut, cut.length - missing);
        byte[] stream = TestFrames.concat(cut, TestFrames.encoded(3, seq + 1));
        for (int split : new int[] {stream.length, cut.length, cut.length + 1, 1}) {
            FrameReader reader = new FrameReader(3, null);
            TestFrames.Collector got = new TestFrames.Collector();
            for (int off = 0; off < stream.length; off += split) {
                reader.feed(stream, off, Math.min(split, stream.length - off), got);
            }
            assertThat(got.sequences()).as("fed in pieces of %d bytes", split).containsExactly(seq, seq + 1);
            assertThat(reader.stats().rejectedTotal()).isZero();
        }
    }

    private static long sequenceWhoseFrameEndsWithMagicPrefix(int n) {
        for (long seq = 0; ; seq++) {
            byte[] f = TestFrames.encoded(3, seq);
            if (FrameCodec.prefixOfMagic(f, f.length - n, n)) {
                return seq;
            }
        }
    }

    @Test
    void wrongVmIsRejected() {
        byte[] stream = TestFrames.concat(TestFrames.encoded(4, 1), TestFrames.encoded(3, 2));
        FrameReader reader = new FrameReader(3, null);
        TestFrames.Collector got = new TestFrames.Collector();
        reader.feed(stream, 0, stream.length, got);
        assertThat(got.sequences()).containsExactly(2L);
        assertThat(reader.stats().rejected(RejectReason.VM)).isEqualTo(1);
    }

    @Test
    void sequenceWrapIsNotAGapButARestartIsCounted() {
        byte[] stream = TestFrames.concat(TestFrames.encoded(3, 0xFFFF_FFFFL), TestFrames.encoded(3, 0),
                TestFrames.encoded(3, 1), TestFrames.encoded(3, 0), TestFrames.encoded(3, 1));
        FrameReader reader = new FrameReader(3, null);
        TestFrames.Collector got = new TestFrames.Collector();
        reader.feed(stream, 0, stream.length, got);
        assertThat(got.frames).hasSize(5);
        assertThat(reader.stats().lost()).isZero();
        assertThat(reader.stats().restarts()).isEqualTo(1);
    }

    @Test
    void streamEndingInsideAFrameCountsLength() {
        byte[] f = TestFrames.encoded(3, 1);
        FrameReader reader = new FrameReader(3, null);
        TestFrames.Collector got = new TestFrames.Collector();
        reader.feed(f, 0, f.length - 1, got);
        reader.endOfStream(got);
        reader.feed(f, 0, f.length, got);
        assertThat(got.sequences()).containsExactly(1L);
        assertThat(reader.stats().rejected(RejectReason.LENGTH)).isEqualTo(1);
    }

    @Test
    void floodIsThrottledPerChannelAndOtherChannelsAreUnaffected() {
        AtomicLong clock = new AtomicLong();
        FrameReader flooding = new FrameReader(1, new RateLimiter(50, 50, clock::get));
        FrameReader quiet = new FrameReader(2, new RateLimiter(50, 50, clock::get));
        TestFrames.Collector floodGot = new TestFrames.Collector();
        TestFrames.Collector quietGot = new TestFrames.Collector();
        long seq = 0;
        // 10 s: the flooding VM sends 1000 frames/s, the quiet one its nominal 10 frames/s.
        for (int ms = 0; ms < 10_000; ms++) {
            clock.set(ms * 1_000_000L);
            byte[] f = TestFrames.encoded(1, ++seq);
            flooding.feed(f, 0, f.length, floodGot);
            if (ms % 100 == 0) {
                byte[] q = TestFrames.encoded(2, ms / 100 + 1);
                quiet.feed(q, 0, q.length, quietGot);
            }
        }
        assertThat(quietGot.frames).hasSize(100);
        assertThat(quiet.stats().rejected(RejectReason.RATE)).isZero();
        // 50 burst + 50/s over 10 s
        assertThat(floodGot.frames.size()).isBetween(540, 551);
        assertThat(flooding.stats().rejected(RejectReason.RATE)).isEqualTo(10_000 - floodGot.frames.size());
        assertThat(flooding.stats().lost()).isZero();
    }

    @Test
    void decodingAllocatesNothingOnceWarm() {
        byte[] stream = new byte[0];
        for (int i = 1; i <= 20; i++) {
            stream = TestFrames.concat(stream, TestFrames.encoded(3, i), "junk".getBytes());
        }
        FrameReader reader = new FrameReader(3, null);
        long[] sum = new long[1];
        FrameListener listener = f -> sum[0] += f.taskCount();
        for (int i = 0; i < 2_000; i++) { // warm up (JIT, buffers)
            reader.feed(stream, 0, stream.length, listener);
        }
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().getId();
        long before = mx.getThreadAllocatedBytes(tid);
        for (int i = 0; i < 2_000; i++) {
            reader.feed(stream, 0, stream.length, listener);
        }
        long allocated = mx.getThreadAllocatedBytes(tid) - before;
        assertThat(sum[0]).isPositive();
        // 40,000 frames; a few hundred bytes of slack for the measurement itself.
        assertThat(allocated).as("bytes allocated for 40,000 frames").isLessThan(2_000);
    }
}
