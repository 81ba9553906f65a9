package io.isochron.channel;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Jazzer fuzz test of the stream decoder. In the normal test run it replays the committed inputs in
 * src/test/resources/io/isochron/channel/FrameDecoderFuzzTestInputs/ (regression mode, quick); with
 * {@code -DJAZZER_FUZZ=1} it fuzzes (see docs/fuzzing.md).
 */
class FrameDecoderFuzzTest {
    private final Frame reencoded = new Frame();

    @FuzzTest(maxDuration = "10m")
    void decoderSurvivesAnyInput(byte[] input) {
        FrameReader reader = new FrameReader(FrameReader.ANY_VM, null);
        FrameCodec codec = new FrameCodec();
        long[] delivered = new long[1];
        FrameListener check = f -> {
            delivered[0]++;
            assertThat(f.taskCount()).isBetween(0, Frame.MAX_TASKS);
            for (int t = 0; t < f.taskCount(); t++) {
                assertThat(f.state(t)).isBetween(0, 3);
                assertThat(f.hintPercent(t)).isBetween(0, 100);
            }
            if (f.hasCycle()) {
                assertThat(f.cycleMicros()).isBetween(Frame.MIN_CYCLE_MICROS, Frame.MAX_CYCLE_MICROS);
                assertThat(f.sampleCount()).isBetween(0, Frame.MAX_SAMPLES);
            }
            // Whatever was accepted must be exactly what a guest would have encoded.
            byte[] again = FrameCodec.encode(f);
            assertThat(codec.decode(again, 0, again.length, reencoded)).isEqualTo(again.length);
            assertThat(reencoded.sameContent(f)).isTrue();
        };
        // Two uneven chunks so that frames split across reads are exercised too.
        int split = input.length / 3;
        reader.feed(input, 0, split, check);
        reader.feed(input, split, input.length - split, check);
        reader.endOfStream(check);
        ChannelStats s = reader.stats();
        assertThat(s.bytes()).isEqualTo(input.length);
        assertThat(s.frames()).isEqualTo(delivered[0]);
    }
}
