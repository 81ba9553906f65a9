package io.isochron.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.isochron.api.IoCategory;
import io.isochron.api.scheduling.RunQueueSummary;
import org.junit.jupiter.api.Test;

class SummaryConverterTest {
    // 1 GB/s for every component keeps the arithmetic readable.
    private static final double[] CAPACITY = {1e9, 1e9, 1e9, 1e9, 1e9, 1e9};

    @Test
    void bytesBecomePercentOfCapacityOverTheGuestInterval() {
        FrameReader reader = new FrameReader(1, null);
        TestFrames.Collector got = new TestFrames.Collector();
        Frame a = new Frame().setHeader(1, 1, 1_000_000_000L).addTask(1, 0, 255, 0, 0, 10);
        Frame b = new Frame().setHeader(1, 2, 1_200_000_000L) // 200 ms later
                .addTask(5, 0, Frame.NO_HINT, 0, 0, 30_000, 0, 40_000_000, 0, 0, 0, 500_000_000)
                .addTask(6, 1, 3, 70, 1, 1_000, 999_999_999)
                .addTask(7, 1, Frame.HINT_NONE, 0, 1, 2_000, 0, 999_999_999)
                .addTask(8, 1, Frame.NO_HINT, 0, 2, 5);
        byte[] stream = TestFrames.concat(FrameCodec.encode(a), FrameCodec.encode(b));
        reader.feed(stream, 0, stream.length, got);
        Frame f = got.frames.get(1);
        assertThat(f.intervalNanos()).isEqualTo(200_000_000L);

        RunQueueSummary[] perVcpu = {new RunQueueSummary(), new RunQueueSummary()};
        int skipped = new SummaryConverter(CAPACITY, 100_000_000L).convert(f, perVcpu);
        assertThat(skipped).as("task on guest CPU 2 of a 2-vCPU host view").isEqualTo(1);

        RunQueueSummary v0 = perVcpu[0];
        assertThat(v0.taskCount()).isEqualTo(1);
        assertThat(v0.cpuNanos(0)).isEqualTo(30_000_000L);
        // 40 MB in 0.2 s of a 1 GB/s component = 20 %
        assertThat(v0.ioPercent(0, IoCategory.RAM)).isCloseTo(20.0, within(1e-9));
        // 500 MB in 0.2 s would be 250 %: capped
        assertThat(v0.ioPercent(0, IoCategory.STORAGE)).isEqualTo(100.0);
        assertThat(v0.ioPercent(0, IoCategory.GPU)).isZero();

        RunQueueSummary v1 = perVcpu[1];
        assertThat(v1.taskCount()).isEqualTo(2);
        // The hint replaces the measured GPU bytes.
        assertThat(v1.ioPercent(0, IoCategory.ETHERNET)).isEqualTo(70.0);
        assertThat(v1.ioPercent(0, IoCategory.GPU)).isZero();
        for (IoCategory c : IoCategory.values()) {
            assertThat(v1.ioPercent(1, c)).as("NONE hint: no I/O on %s", c).isZero();
        }
        assertThat(v1.cpuNanos(1)).isEqualTo(2_000_000L);
    }

    @Test
    void unknownIntervalFallsBackToTheConfiguredOne() {
        Frame f = new Frame().setHeader(1, 1, 1).addTask(1, 0, Frame.NO_HINT, 0, 0, 0, 0, 0, 0, 10_000_000);
        RunQueueSummary s = new SummaryConverter(CAPACITY, 100_000_000L).convert(f, 0, new RunQueueSummary());
        // 10 MB in the default 100 ms of 1 GB/s = 10 %
        assertThat(s.ioPercent(0, IoCategory.ETHERNET)).isCloseTo(10.0, within(1e-9));
    }

    @Test
    void rejectsBadConfiguration() {
        assertThatThrownBy(() -> new SummaryConverter(new double[5], 1)).hasMessageContaining("need 6");
        assertThatThrownBy(() -> new SummaryConverter(new double[] {1, 1, 0, 1, 1, 1}, 1))
                .hasMessageContaining("CACHE");
        assertThatThrownBy(() -> new SummaryConverter(CAPACITY, 0)).hasMessageContaining("interval");
    }
}
