package io.isochron.analysis;

import static io.isochron.analysis.TaskSets.MS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class CompositionalAnalysisTest {
    @ParameterizedTest
    @EnumSource(Scheduler.class)
    void oneTaskNeedsItsWcetAfterTheBlackout(Scheduler s) {
        // C = 1, T = D = Π = 10: sbf(10) = 10 − 2(10 − Θ) >= 1 gives Θ = 5.5 ms.
        List<Task> one = List.of(TaskSets.task("a", MS, 10 * MS));
        assertThat(CompositionalAnalysis.minimumBudget(one, s, 10 * MS)).isEqualTo(5_500_000);
        assertThat(CompositionalAnalysis.schedulable(one, s, new PeriodicResource(5_500_000, 10 * MS))).isTrue();
        assertThat(CompositionalAnalysis.schedulable(one, s, new PeriodicResource(5_499_999, 10 * MS))).isFalse();
    }

    @Test
    void edfAndFixedPrioritiesNeedDifferentBudgets() {
        // a = (1, 4), b = (2, 6) in Π = 2 (ms). For 1 <= Θ < 2 and t = 4 + 2k the worst-case supply
        // is sbf(t) = (k + 1)·Θ + (2Θ − 2) = (k + 3)·Θ − 2.
        // EDF: dbf(12) = 3 + 4 = 7 needs 7Θ − 2 >= 7, Θ >= 9/7, the tightest of all deadlines
        // (dbf(6) = 3 needs 5/4, dbf(12 + 12j) = 7 + 7j needs (9 + 7j)/(7 + 6j)); in whole ns 1285715.
        // RM (a first): b needs rbf(4) = 3 <= 3Θ − 2 (Θ >= 5/3) or rbf(6) = 4 <= 4Θ − 2 (Θ >= 3/2).
        List<Task> tasks = List.of(TaskSets.task("a", MS, 4 * MS), TaskSets.task("b", 2 * MS, 6 * MS));
        assertThat(CompositionalAnalysis.minimumBudget(tasks, Scheduler.EDF, 2 * MS)).isEqualTo(1_285_715);
        assertThat(CompositionalAnalysis.minimumBudget(tasks, Scheduler.RM, 2 * MS)).isEqualTo(1_500_000);
    }

    @Test
    void aSetThatFailsOnAWholeProcessorHasNoBudget() {
        List<Task> full = List.of(TaskSets.task("a", 2, 4), TaskSets.task("b", 3, 6));
        assertThat(CompositionalAnalysis.minimumBudget(full, Scheduler.EDF, 2)).isEqualTo(2);
        assertThatThrownBy(() -> CompositionalAnalysis.minimumBudget(full, Scheduler.RM, 2))
                .isInstanceOf(AnalysisException.class)
                .hasMessage("not schedulable under rm even on a whole processor, so no budget is enough");
    }

    @Test
    void bestReservationPrefersLessReservedBandwidthThenLongerPeriods() {
        List<Task> tasks = List.of(TaskSets.task("a", MS, 4 * MS), TaskSets.task("b", 2 * MS, 6 * MS));
        Reservation best = CompositionalAnalysis.bestReservation(tasks, Scheduler.EDF, MS / 2, 3 * MS, MS / 2);
        for (long p = MS / 2; p <= 3 * MS; p += MS / 2) {
            long q = CompositionalAnalysis.minimumBudget(tasks, Scheduler.EDF, p);
            long rounded = (q + MS / 2 - 1) / (MS / 2) * (MS / 2);
            assertThat(best.roundedBudget() * p).isLessThanOrEqualTo(rounded * best.period());
        }
        assertThat(best.roundedBudget() % (MS / 2)).isZero();
        assertThat(best.budget()).isEqualTo(CompositionalAnalysis.minimumBudget(tasks, Scheduler.EDF, best.period()));
        // A coarser granularity over a subset of those periods rounds up at least as much.
        Reservation coarse = CompositionalAnalysis.bestReservation(tasks, Scheduler.EDF, MS, 3 * MS, MS);
        assertThat(coarse.bandwidth()).isGreaterThanOrEqualTo(best.bandwidth());
        assertThat(coarse.roundedBudget() % MS).isZero();
    }

    @ParameterizedTest
    @EnumSource(Scheduler.class)
    void aPlcCellMeetsItsDeadlinesWithTheBudgetAndMissesWithTenPercentLess(Scheduler s) {
        // scenarios/tasksets/plc-cell.yaml in a 0.5 ms server
        List<Task> plc = List.of(TaskSets.task("fieldbus-io", 150_000, MS), new Task("motion", 400_000, 2 * MS, 1_500_000),
                TaskSets.task("pid-loop", 800_000, 5 * MS), new Task("safety", 500_000, 10 * MS, 4 * MS),
                TaskSets.task("hmi-sync", 2 * MS, 20 * MS), TaskSets.task("logging", 3 * MS, 50 * MS),
                TaskSets.task("diagnostics", 10 * MS, 100 * MS));
        long period = MS / 2;
        long q = CompositionalAnalysis.minimumBudget(plc, s, period);
        long horizon = 2 * (period - q) + 2 * TaskSets.hyperperiod(plc);
        ServerSimulation.Result ok = ServerSimulation.run(plc, s, new PeriodicResource(q, period), horizon);
        assertThat(ok.misses()).isZero();
        assertThat(ok.completedJobs()).isEqualTo(2 * (100 + 50 + 20 + 10 + 5 + 2 + 1));
        ServerSimulation.Result starved = ServerSimulation.run(plc, s, new PeriodicResource(q * 9 / 10, period), horizon);
        assertThat(starved.misses()).isPositive();
    }

    @Provide
    Arbitrary<List<Task>> light() {
        return TaskSets.sets(0.9);
    }

    @Provide
    Arbitrary<List<Task>> any() {
        return TaskSets.sets(1.3);
    }

    @Provide
    Arbitrary<Long> serverPeriods() {
        return Arbitraries.of(TaskSets.SERVER_PERIODS[0], TaskSets.SERVER_PERIODS[1], TaskSets.SERVER_PERIODS[2],
                TaskSets.SERVER_PERIODS[3], TaskSets.SERVER_PERIODS[4]);
    }

    @Property(tries = 400)
    void minimumBudgetIsSchedulableAndOneNanosecondLessIsNot(@ForAll("light") List<Task> tasks,
            @ForAll("serverPeriods") long period, @ForAll Scheduler s) {
        Assume.that(CompositionalAnalysis.schedulableAlone(tasks, s));
        long q = CompositionalAnalysis.minimumBudget(tasks, s, period);
        assertThat(q).isBetween(1L, period);
        assertThat(CompositionalAnalysis.schedulable(tasks, s, new PeriodicResource(q, period))).isTrue();
        assertThat(CompositionalAnalysis.schedulable(tasks, s, new PeriodicResource(q - 1, period))).isFalse();
        // At least the utilisation, strictly more below a whole processor (class comment of the analysis).
        assertThat(Ratio.of(q, period).compareTo(Demand.utilisation(tasks))).isGreaterThanOrEqualTo(q < period ? 1 : 0);
    }

    @Property(tries = 400)
    void aWholeProcessorReservationIsThePlainTest(@ForAll("any") List<Task> tasks, @ForAll("serverPeriods") long period) {
        PeriodicResource whole = new PeriodicResource(period, period);
        assertThat(CompositionalAnalysis.schedulable(tasks, Scheduler.EDF, whole)).isEqualTo(EdfAnalysis.schedulable(tasks));
        assertThat(CompositionalAnalysis.schedulable(tasks, Scheduler.RM, whole)).isEqualTo(FixedPriorityAnalysis.schedulable(tasks));
    }

    @Property(tries = 300)
    void edfNeedsNoMoreBudgetThanFixedPriorities(@ForAll("light") List<Task> tasks, @ForAll("serverPeriods") long period) {
        Assume.that(FixedPriorityAnalysis.schedulable(tasks));
        assertThat(CompositionalAnalysis.minimumBudget(tasks, Scheduler.EDF, period))
                .isLessThanOrEqualTo(CompositionalAnalysis.minimumBudget(tasks, Scheduler.RM, period));
    }

    @Property(tries = 300)
    void theSimulationMeetsEveryDeadlineWithTheBudgetAndMissesOneWithoutIt(@ForAll("light") List<Task> tasks,
            @ForAll("serverPeriods") long period, @ForAll Scheduler s) {
        Assume.that(CompositionalAnalysis.schedulableAlone(tasks, s));
        long q = CompositionalAnalysis.minimumBudget(tasks, s, period);
        PeriodicResource enough = new PeriodicResource(q, period);
        // The joint pattern of releases and supply repeats every lcm(hyperperiod, Π) after the
        // blackout; two repetitions cover every window the analysis looks at (see the docs).
        long horizon = enough.blackout() + 2 * TaskSets.lcm(TaskSets.hyperperiod(tasks), period);
        ServerSimulation.Result ok = ServerSimulation.run(tasks, s, enough, horizon);
        assertThat(ok.misses()).as("misses with Θ = %d ns", q).isZero();
        assertThat(ok.completedJobs()).isPositive();

        PeriodicResource short1 = new PeriodicResource(q - 1, period);
        ServerSimulation.Result miss = ServerSimulation.run(tasks, s, short1, horizon + 2 * period);
        assertThat(miss.misses()).as("misses with Θ − 1 ns").isPositive();
    }

    @Property(tries = 200)
    void edfViolationIsAFailingDeadline(@ForAll("any") List<Task> tasks, @ForAll("serverPeriods") long period,
            @ForAll("fractions") double share) {
        PeriodicResource r = new PeriodicResource((long) (share * period), period);
        CompositionalAnalysis.edfViolation(tasks, r).ifPresent(t -> {
            assertThat(Demand.dbf(tasks, t)).isGreaterThan(r.supply(t));
            assertThat(Demand.dbf(tasks, t)).isGreaterThan(Demand.dbf(tasks, t - 1));
        });
    }

    @Provide
    Arbitrary<Double> fractions() {
        return Arbitraries.doubles().between(0, 1);
    }
}
