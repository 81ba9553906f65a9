package io.isochron.scheduler.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.isochron.api.IoCategory;
import io.isochron.api.scheduling.RunQueueSummary;
import org.junit.jupiter.api.Test;

class ClassifierTest {
    private final Classifier classifier = new Classifier();
    private final Classification out = new Classification();

    @Test
    void emptySummaryIsCpuOnly() {
        classifier.classify(new RunQueueSummary(), out);
        assertThat(out.category()).isEqualTo(IoCategory.NONE);
        assertThat(out.ioPercent()).isZero();
        assertThat(out.expectedRunNanos()).isZero();
    }

    @Test
    void hintedTaskGivesItsCategory() {
        RunQueueSummary s = new RunQueueSummary().addHintedTask(2_000_000, IoCategory.GPU, 60);
        classifier.classify(s, out);
        assertThat(out.category()).isEqualTo(IoCategory.GPU);
        assertThat(out.ioPercent()).isEqualTo(60.0);
        assertThat(out.expectedRunNanos()).isEqualTo(2_000_000);
    }

    @Test
    void dominantCategoryIsWeightedByExpectedCpuTime() {
        // 1 ms of heavy RAM traffic vs 9 ms of moderate Ethernet: Ethernet dominates the run.
        RunQueueSummary s = new RunQueueSummary()
                .addHintedTask(1_000_000, IoCategory.RAM, 80)
                .addHintedTask(9_000_000, IoCategory.ETHERNET, 20);
        classifier.classify(s, out);
        assertThat(out.category()).isEqualTo(IoCategory.ETHERNET);
        assertThat(out.ioPercent()).isCloseTo(18.0, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(out.expectedRunNanos()).isEqualTo(10_000_000);
    }

    @Test
    void perComponentActivityIsSummedAcrossTasks() {
        double[] a = {0, 10, 30, 0, 0, 0};
        double[] b = {0, 30, 0, 0, 0, 0};
        RunQueueSummary s = new RunQueueSummary().addTask(5, a).addTask(5, b);
        classifier.classify(s, out);
        // RAM: (10+30)/2 = 20, CACHE: 30/2 = 15
        assertThat(out.category()).isEqualTo(IoCategory.RAM);
        assertThat(out.ioPercent()).isEqualTo(20.0);
    }

    @Test
    void tiesGoToTheCategoryClosestToTheControlLoop() {
        RunQueueSummary s = new RunQueueSummary()
                .addHintedTask(1000, IoCategory.CACHE, 40)
                .addHintedTask(1000, IoCategory.BUS, 40)
                .addHintedTask(1000, IoCategory.GPU, 40);
        classifier.classify(s, out);
        assertThat(out.category()).isEqualTo(IoCategory.BUS);

        s.clear().addHintedTask(1000, IoCategory.RAM, 40).addHintedTask(1000, IoCategory.STORAGE, 40);
        classifier.classify(s, out);
        assertThat(out.category()).isEqualTo(IoCategory.STORAGE);
    }

    @Test
    void belowThresholdIsCpuOnly() {
        RunQueueSummary s = new RunQueueSummary().addHintedTask(1000, IoCategory.RAM, 0.5);
        classifier.classify(s, out);
        assertThat(out.category()).isEqualTo(IoCategory.NONE);
        assertThat(new Classifier(0.1).classify(s, out).category()).isEqualTo(IoCategory.RAM);
    }

    @Test
    void zeroCpuTimesAreAveragedUnweighted() {
        RunQueueSummary s = new RunQueueSummary()
                .addHintedTask(0, IoCategory.STORAGE, 30)
                .addHintedTask(0, IoCategory.NONE, 0);
        classifier.classify(s, out);
        assertThat(out.category()).isEqualTo(IoCategory.STORAGE);
        assertThat(out.ioPercent()).isEqualTo(15.0);
    }

    @Test
    void reusingTheSummaryForgetsOldTasks() {
        RunQueueSummary s = new RunQueueSummary();
        for (int i = 0; i < 20; i++) {
            s.addHintedTask(10, IoCategory.GPU, 90);
        }
        s.clear().addHintedTask(10, IoCategory.CACHE, 10);
        assertThat(classifier.classify(s, out).category()).isEqualTo(IoCategory.CACHE);
        assertThat(s.taskCount()).isEqualTo(1);
    }

    @Test
    void badInputIsRejectedWithTheAllowedRange() {
        assertThatThrownBy(() -> new RunQueueSummary().addHintedTask(-1, IoCategory.GPU, 10))
                .hasMessageContaining(">= 0");
        assertThatThrownBy(() -> new RunQueueSummary().addHintedTask(1, IoCategory.GPU, 101))
                .hasMessageContaining("0..100");
        assertThatThrownBy(() -> new Classifier(-1)).hasMessageContaining("0..100");
        assertThatThrownBy(() -> IoCategory.parse("DISK")).hasMessageContaining("allowed: GPU, RAM, CACHE");
    }
}
