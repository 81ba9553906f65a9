package io.isochron.analysis;

import static io.isochron.analysis.TaskSets.MS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class PartitionerTest {
    private static final long G = 10_000;

    private static Partitioner.Settings settings(Scheduler s, Heuristic h, long from, long to) {
        return new Partitioner.Settings(s, h, from, to, G);
    }

    private static List<List<String>> names(Partition p) {
        return p.vcpus().stream().map(v -> v.tasks().stream().map(Task::name).toList()).toList();
    }

    private static final List<Task> HALF_THIRD_FIFTH = List.of(TaskSets.task("third", 3 * MS, 10 * MS),
            TaskSets.task("half", 5 * MS, 10 * MS), TaskSets.task("fifth", 2 * MS, 10 * MS));

    @Test
    void firstFitFillsTheFirstVcpu() {
        Partition p = Partitioner.partition(HALF_THIRD_FIFTH, 2, settings(Scheduler.EDF, Heuristic.FFD, MS, MS));
        // Placed in decreasing utilisation, reported in task-set order.
        assertThat(names(p)).containsExactly(List.of("third", "half", "fifth"), List.of());
        assertThat(p.vcpus().get(1).reservation().roundedBudget()).isZero();
        // Utilisation 1 on one vCPU: only the whole processor will do.
        assertThat(p.vcpus().get(0).reservation()).isEqualTo(new Reservation(MS, MS, MS));
        assertThat(p.totalBandwidth()).isEqualTo(1.0);
    }

    @Test
    void worstFitSpreadsTheLoad() {
        Partition p = Partitioner.partition(HALF_THIRD_FIFTH, 2, settings(Scheduler.EDF, Heuristic.WFD, MS, MS));
        assertThat(names(p)).containsExactly(List.of("half"), List.of("third", "fifth"));
    }

    @Test
    void minBandwidthReservesLessThanFirstOrWorstFit() {
        // Short-period tasks cost much more bandwidth than their utilisation when they share a
        // reservation with a long-period one; pairing each with a long-period task spreads that cost.
        List<Task> tasks = List.of(TaskSets.task("t0", 400_000, MS), TaskSets.task("t1", 600_000, 2 * MS),
                TaskSets.task("t2", 1_250_000, 10 * MS), TaskSets.task("t3", 3_450_000, 10 * MS));
        double ffd = Partitioner.partition(tasks, 2, settings(Scheduler.EDF, Heuristic.FFD, MS, MS)).totalBandwidth();
        double wfd = Partitioner.partition(tasks, 2, settings(Scheduler.EDF, Heuristic.WFD, MS, MS)).totalBandwidth();
        Partition min = Partitioner.partition(tasks, 2, settings(Scheduler.EDF, Heuristic.MIN_BANDWIDTH, MS, MS));
        assertThat(names(min)).containsExactly(List.of("t0", "t3"), List.of("t1", "t2"));
        assertThat(min.totalBandwidth()).isLessThan(ffd).isLessThan(wfd);
        // Greedy, not optimal: by brute force over every split, the two short-period tasks together
        // and the two long-period ones together reserve 1.24 against 1.31.
        double best = Double.MAX_VALUE;
        for (int mask = 0; mask < 1 << tasks.size(); mask++) {
            List<Task> a = new ArrayList<>();
            List<Task> b = new ArrayList<>();
            for (int i = 0; i < tasks.size(); i++) {
                ((mask >> i & 1) == 0 ? a : b).add(tasks.get(i));
            }
            if (EdfAnalysis.schedulable(a) && EdfAnalysis.schedulable(b)) {
                best = Math.min(best, CompositionalAnalysis.bestReservation(a, Scheduler.EDF, MS, MS, G).bandwidth()
                        + CompositionalAnalysis.bestReservation(b, Scheduler.EDF, MS, MS, G).bandwidth());
            }
        }
        assertThat(best).isCloseTo(1.24, within(1e-9)).isLessThan(min.totalBandwidth());
    }

    @Test
    void aTaskThatFitsNowhereIsReported() {
        List<Task> tasks = List.of(TaskSets.task("a", 6, 10), TaskSets.task("b", 6, 10), TaskSets.task("c", 6, 10));
        assertThatThrownBy(() -> Partitioner.partition(tasks, 2, new Partitioner.Settings(Scheduler.EDF, Heuristic.FFD, 10, 10, 1)))
                .isInstanceOf(AnalysisException.class)
                .hasMessage("no partition fits: task 'c' (utilisation 0.6000) fits on none of the 2 vCPUs under edf "
                        + "with heuristic ffd (vCPU utilisations 0.6000, 0.6000); try more vCPUs or another heuristic");
    }

    @Provide
    Arbitrary<List<Task>> sets() {
        return TaskSets.sets(1.6);
    }

    @Provide
    Arbitrary<Heuristic> heuristics() {
        return Arbitraries.of(Heuristic.class);
    }

    @Property(tries = 150)
    void everyVcpuIsSchedulableInItsReservation(@ForAll("sets") List<Task> tasks, @ForAll @IntRange(min = 1, max = 3) int m,
            @ForAll Scheduler s, @ForAll("heuristics") Heuristic h) {
        Partition p;
        try {
            p = Partitioner.partition(tasks, m, settings(s, h, MS / 2, 2 * MS));
        } catch (AnalysisException e) {
            assertThat(e).hasMessageStartingWith("no partition fits");
            return;
        }
        List<Task> placed = new ArrayList<>();
        assertThat(p.vcpus()).hasSize(m);
        for (Partition.Vcpu v : p.vcpus()) {
            placed.addAll(v.tasks());
            Reservation r = v.reservation();
            assertThat(r.roundedBudget()).isBetween(r.budget(), r.period());
            assertThat(r.roundedBudget() % G).isZero();
            assertThat(r.period() % G).isZero();
            assertThat(CompositionalAnalysis.schedulable(v.tasks(), s, new PeriodicResource(r.budget(), r.period()))).isTrue();
            if (r.budget() > 0) {
                assertThat(CompositionalAnalysis.schedulable(v.tasks(), s, new PeriodicResource(r.budget() - 1, r.period()))).isFalse();
            }
        }
        assertThat(placed).containsExactlyInAnyOrderElementsOf(tasks);
    }
}
