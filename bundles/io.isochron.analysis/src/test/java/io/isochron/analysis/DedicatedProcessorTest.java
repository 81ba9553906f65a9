package io.isochron.analysis;

import static io.isochron.analysis.TaskSets.MS;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The plain tests on a whole processor, on textbook examples worked by hand. */
class DedicatedProcessorTest {
    private static final List<Task> TEXTBOOK = List.of(TaskSets.task("a", MS, 4 * MS), TaskSets.task("b", 2 * MS, 6 * MS),
            TaskSets.task("c", 3 * MS, 12 * MS));

    @Test
    void demandBoundFunctionCountsJobsWithDeadlinesInside() {
        List<Task> tasks = List.of(new Task("x", 1, 5, 3), new Task("y", 2, 4, 4));
        // deadlines of x at 3, 8, 13; of y at 4, 8, 12
        assertThat(Demand.dbf(tasks, 2)).isZero();
        assertThat(Demand.dbf(tasks, 3)).isEqualTo(1);
        assertThat(Demand.dbf(tasks, 7)).isEqualTo(3);
        assertThat(Demand.dbf(tasks, 8)).isEqualTo(6);
        assertThat(Demand.dbf(tasks, 12)).isEqualTo(8);
        assertThat(Demand.nextDeadline(tasks, 8)).isEqualTo(12);
    }

    @Test
    void responseTimesOfTheTextbookSet() {
        // R_c = 3 + ceil(R/4)·1 + ceil(R/6)·2 iterates 6, 7, 9, 10, 10.
        assertThat(FixedPriorityAnalysis.responseTimes(TEXTBOOK)).containsExactly(MS, 3 * MS, 10 * MS);
        assertThat(FixedPriorityAnalysis.schedulable(TEXTBOOK)).isTrue();
    }

    @Test
    void fullUtilisationSeparatesEdfFromFixedPriorities() {
        List<Task> full = List.of(TaskSets.task("a", 2, 4), TaskSets.task("b", 3, 6));
        assertThat(EdfAnalysis.schedulable(full)).isTrue();
        // R_b = 3 + ceil(R/4)·2 iterates 5, then 7 > 6.
        assertThat(FixedPriorityAnalysis.responseTimes(full)).containsExactly(2, 7);
        assertThat(FixedPriorityAnalysis.schedulable(full)).isFalse();
    }

    @Test
    void constrainedDeadlinesCanOverloadBelowFullUtilisation() {
        List<Task> tight = List.of(new Task("a", 2, 4, 2), new Task("b", 2, 8, 3));
        assertThat(Demand.utilisation(tight)).isEqualTo(Ratio.of(3, 4));
        assertThat(EdfAnalysis.firstOverload(tight)).hasValue(3);
    }

    @Test
    void overUtilisedSetsFailAtSomeDeadline() {
        List<Task> over = List.of(TaskSets.task("a", 3, 4), TaskSets.task("b", 3, 10));
        assertThat(EdfAnalysis.firstOverload(over)).isPresent();
        assertThat(FixedPriorityAnalysis.schedulable(over)).isFalse();
    }

    @Test
    void deadlineMonotonicOrderPutsShortDeadlinesFirst() {
        List<Task> tasks = List.of(TaskSets.task("slow", 1, 10), new Task("urgent", 1, 20, 5), TaskSets.task("same", 1, 10));
        assertThat(FixedPriorityAnalysis.priorityOrder(tasks)).extracting(Task::name).containsExactly("urgent", "slow", "same");
    }

    @Test
    void busyPeriodIsTheFirstIdleInstant() {
        // L = 6, 7, 9, 10, 10 (ms): the processor first idles at 10, before the hyperperiod 12.
        assertThat(Demand.busyPeriod(TEXTBOOK)).isEqualTo(10 * MS);
    }
}
