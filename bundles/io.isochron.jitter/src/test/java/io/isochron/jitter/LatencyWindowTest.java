package io.isochron.jitter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.isochron.api.runtime.JitterStats;
import org.junit.jupiter.api.Test;

class LatencyWindowTest {
    @Test
    void statsOfAKnownDistribution() {
        LatencyWindow w = new LatencyWindow();
        // 1..1000 µs once each: p99 = 990, p99.9 = 999, mean 500.5
        for (int i = 1; i <= 1000; i++) {
            w.record(i);
        }
        w.addOverruns(3);
        JitterStats s = w.stats("host", 1000);
        assertThat(s.minMicros()).isEqualTo(1);
        assertThat(s.maxMicros()).isEqualTo(1000);
        assertThat(s.avgMicros()).isCloseTo(500.5, within(1e-9));
        assertThat(s.p99Micros()).isEqualTo(990);
        assertThat(s.p999Micros()).isEqualTo(999);
        assertThat(s.samples()).isEqualTo(1000);
        assertThat(s.overruns()).isEqualTo(3);
        assertThat(s.cycleMicros()).isEqualTo(1000);
    }

    @Test
    void oneOutlierInAThousandMovesMaxAndP999ButNotP99() {
        LatencyWindow w = new LatencyWindow();
        w.record(5, 998);
        w.record(6);
        w.record(4321);
        JitterStats s = w.stats("host", 1000);
        assertThat(s.p99Micros()).isEqualTo(5);
        assertThat(s.p999Micros()).isEqualTo(6);
        assertThat(s.maxMicros()).isEqualTo(4321);
        assertThat(s.minMicros()).isEqualTo(5);
    }

    @Test
    void percentilesNeverExceedTheMaximumAboveTheExactRange() {
        LatencyWindow w = new LatencyWindow();
        w.record(13_090);
        JitterStats s = w.stats("host", 1000);
        assertThat(s.p99Micros()).isEqualTo(13_090);
        assertThat(s.p999Micros()).isEqualTo(13_090);
    }

    @Test
    void emptyWindowIsAllZeroAndResetStartsOver() {
        LatencyWindow w = new LatencyWindow();
        assertThat(w.stats("vm", 500)).isEqualTo(new JitterStats("vm", 500, 0, 0, 0, 0, 0, 0, 0));
        w.record(100, 10);
        w.addOverruns(1);
        w.reset();
        assertThat(w.stats("vm", 500).samples()).isZero();
        assertThat(w.stats("vm", 500).overruns()).isZero();
    }

    @Test
    void addMergesAnotherWindow() {
        LatencyWindow a = new LatencyWindow();
        LatencyWindow b = new LatencyWindow();
        a.record(10, 2);
        b.record(2);
        b.record(30);
        b.addOverruns(2);
        a.add(b);
        JitterStats s = a.stats("host", 1000);
        assertThat(s.samples()).isEqualTo(4);
        assertThat(s.minMicros()).isEqualTo(2);
        assertThat(s.maxMicros()).isEqualTo(30);
        assertThat(s.avgMicros()).isEqualTo(13);
        assertThat(s.overruns()).isEqualTo(2);
    }

    @Test
    void negativeLatencyIsRefused() {
        assertThatThrownBy(() -> new LatencyWindow().record(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void percentOfCycle() {
        assertThat(LatencyWindow.percentOfCycle(50, 1000)).isEqualTo(5.0);
        assertThat(LatencyWindow.percentOfCycle(250, 250)).isEqualTo(100.0);
        assertThat(LatencyWindow.percentOfCycle(10, 0)).isZero();
    }
}
