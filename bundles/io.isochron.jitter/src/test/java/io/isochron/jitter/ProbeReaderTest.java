package io.isochron.jitter;

import static org.assertj.core.api.Assertions.assertThat;

import io.isochron.api.runtime.JitterStats;
import org.junit.jupiter.api.Test;

class ProbeReaderTest {
    private static NativeProbe.Snapshot snapshot(long maxNanos, long overruns, long... histogram) {
        long count = 0;
        for (long c : histogram) {
            count += c;
        }
        return new NativeProbe.Snapshot(count, 0, 0, maxNanos, overruns, histogram, 1, 80, 1, 0, true);
    }

    @Test
    void eachWindowGetsOnlyWhatHappenedSinceThePreviousRead() {
        ProbeReader reader = new ProbeReader();
        LatencyWindow w = new LatencyWindow();
        reader.addDelta(snapshot(2_500, 0, 0, 4, 1, 0, 0), w);
        assertThat(w.stats("host", 1000)).isEqualTo(new JitterStats("host", 1000, 1, 1.2, 2, 2, 2, 5, 0));

        w.reset();
        reader.addDelta(snapshot(3_900, 2, 0, 4, 3, 5, 0), w);
        JitterStats second = w.stats("host", 1000);
        assertThat(second.samples()).isEqualTo(7);
        assertThat(second.minMicros()).isEqualTo(2);
        assertThat(second.maxMicros()).isEqualTo(3);
        assertThat(second.overruns()).isEqualTo(2);

        w.reset();
        reader.addDelta(snapshot(3_900, 2, 0, 4, 3, 5, 0), w);
        assertThat(w.samples()).as("nothing new").isZero();
    }

    @Test
    void overflowCountsAtTheNewMaximumOrAtTheRangeEnd() {
        ProbeReader reader = new ProbeReader();
        LatencyWindow w = new LatencyWindow();
        // 4 buckets (0..3 µs) + overflow; the all-time max rose to 250 µs in this window
        reader.addDelta(snapshot(250_400, 0, 10, 0, 0, 0, 1), w);
        assertThat(w.stats("host", 1000).maxMicros()).isEqualTo(250);

        w.reset();
        // another overflow, but the maximum did not rise: it is at least the range end
        reader.addDelta(snapshot(250_400, 0, 10, 0, 0, 0, 2), w);
        assertThat(w.stats("host", 1000).maxMicros()).isEqualTo(4);
        assertThat(w.samples()).isEqualTo(1);
    }
}
