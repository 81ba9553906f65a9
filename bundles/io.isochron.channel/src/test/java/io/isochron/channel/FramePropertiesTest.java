package io.isochron.channel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

class FramePropertiesTest {

    @Property(tries = 300)
    void encodeThenDecodeGivesTheSameFrame(@ForAll("frames") Frame in) {
        byte[] b = FrameCodec.encode(in);
        Frame out = new Frame();
        assertThat(new FrameCodec().decode(b, 0, b.length, out)).isEqualTo(b.length);
        assertThat(out.sameContent(in)).as("%s decoded as %s", in, out).isTrue();
    }

    @Property(tries = 500)
    void anyCorruptedByteIsRejectedAndTheNextFrameStillArrives(@ForAll("frames") Frame in,
            @ForAll @IntRange(min = 0, max = 1 << 20) int where, @ForAll @IntRange(min = 1, max = 255) int flip) {
        byte[] bad = FrameCodec.encode(in);
        bad[where % bad.length] ^= (byte) flip;
        assertNextFrameSurvives(in, bad);
    }

    @Property(tries = 300)
    void anyTruncationIsRejectedAndTheNextFrameStillArrives(@ForAll("frames") Frame in,
            @ForAll @IntRange(min = 0, max = 1 << 20) int cut) {
        byte[] whole = FrameCodec.encode(in);
        assertNextFrameSurvives(in, Arrays.copyOf(whole, cut % whole.length));
    }

    private static void assertNextFrameSurvives(Frame in, byte[] damaged) {
        Frame next = in.copy().setHeader(in.vmId(), in.sequence() + 1, in.guestNanos() + 1);
        byte[] stream = TestFrames.concat(damaged, FrameCodec.encode(next));
        FrameReader reader = new FrameReader(FrameReader.ANY_VM, null);
        TestFrames.Collector got = new TestFrames.Collector();
        reader.feed(stream, 0, stream.length, got); // must not throw
        reader.endOfStream(got);
        assertThat(got.frames).as("frames decoded").isNotEmpty();
        Frame last = got.frames.get(got.frames.size() - 1);
        assertThat(last.sameContent(next)).isTrue();
        if (got.frames.size() == 2) {
            // A frame cut in its last bytes whose missing bytes equal the next magic's first ones is
            // the sender's frame, exactly: delivering it is right, anything else would not be.
            assertThat(got.frames.get(0).sameContent(in)).as("only an exact reconstruction is accepted").isTrue();
            assertThat(damaged.length).isGreaterThanOrEqualTo(FrameCodec.encode(in).length - Integer.BYTES);
        } else {
            // Otherwise only the intact frame is accepted: the damaged one is rejected, never mistaken for valid.
            assertThat(got.frames).hasSize(1);
            if (damaged.length > 0) {
                assertThat(reader.stats().rejectedTotal()).isPositive();
            }
        }
    }

    @Provide
    Arbitrary<Frame> frames() {
        Arbitrary<long[]> task = Arbitraries.longs().between(0, 0xFFFF_FFFFL).array(long[].class).ofSize(12);
        Arbitrary<List<long[]>> tasks = task.list().ofMaxSize(40);
        Arbitrary<int[]> latencies = Arbitraries.integers().between(0, 0xFFFF).array(int[].class).ofMaxSize(300);
        Arbitrary<Long> cycle = Arbitraries.longs().between(Frame.MIN_CYCLE_MICROS, Frame.MAX_CYCLE_MICROS);
        Arbitrary<Boolean> withCycle = Arbitraries.of(true, false);
        Arbitrary<long[]> header = Arbitraries.longs().array(long[].class).ofSize(4);
        return Combinators.combine(header, tasks, withCycle, cycle, latencies).as((h, ts, wc, c, lat) -> {
            Frame f = new Frame().setHeader(h[0], h[1], h[2]);
            for (long[] t : ts) {
                int hint = (int) (t[2] % 8);
                hint = hint == 7 ? Frame.NO_HINT : hint;
                f.addTask((int) t[0], (int) (t[1] % 4), hint, hint == Frame.NO_HINT ? 0 : (int) (t[3] % 101),
                        (int) (t[4] % 256), t[5], t[6], t[7], t[8], t[9], t[10], t[11]);
            }
            if (wc) {
                f.setCycle(c, h[3]);
                for (int l : lat) {
                    f.addLatency(l);
                }
            }
            return f;
        });
    }
}
