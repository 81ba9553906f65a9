package io.isochron.analysis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

class PeriodicResourceTest {
    @Test
    void supplyFollowsTheWorstCasePattern() {
        // (Θ, Π) = (2, 5): nothing for 2·(5 − 2) = 6, then 2 of every 5.
        PeriodicResource r = new PeriodicResource(2, 5);
        long[] expected = {0, 0, 0, 0, 0, 0, 0, 1, 2, 2, 2, 2, 3, 4, 4, 4, 4, 5};
        for (int t = 0; t < expected.length; t++) {
            assertThat(r.supply(t)).as("sbf(%d)", t).isEqualTo(expected[t]);
        }
    }

    @Test
    void fullAndEmptyBudgets() {
        assertThat(new PeriodicResource(7, 7).supply(123)).isEqualTo(123);
        assertThat(new PeriodicResource(0, 7).supply(123)).isZero();
        assertThatThrownBy(() -> new PeriodicResource(8, 7)).isInstanceOf(IllegalArgumentException.class);
    }

    @Provide
    Arbitrary<PeriodicResource> resources() {
        return Arbitraries.longs().between(1, 10_000_000).flatMap(p ->
                Arbitraries.longs().between(0, p).map(q -> new PeriodicResource(q, p)));
    }

    @Property(tries = 2000)
    void zeroDuringTheBlackout(@ForAll("resources") PeriodicResource r, @ForAll @LongRange(min = 0, max = 1_000_000_000) long x) {
        long t = r.blackout() == 0 ? 0 : x % (r.blackout() + 1);
        assertThat(r.supply(t)).isZero();
    }

    @Property(tries = 2000)
    void growsByAtMostTheElapsedTime(@ForAll("resources") PeriodicResource r,
            @ForAll @LongRange(min = 0, max = 1_000_000_000) long t, @ForAll @LongRange(min = 0, max = 30_000_000) long dt) {
        long grow = r.supply(t + dt) - r.supply(t);
        assertThat(grow).isBetween(0L, dt);
    }

    @Property(tries = 2000)
    void staysBetweenTheLinearBounds(@ForAll("resources") PeriodicResource r,
            @ForAll @LongRange(min = 0, max = 1_000_000_000) long t) {
        // α·(t − 2(Π − Θ)) <= sbf(t) <= α·t, in exact integers (all values stay below 2^63).
        long s = r.supply(t);
        assertThat(s * r.period()).isLessThanOrEqualTo(t * r.budget());
        assertThat(s * r.period()).isGreaterThanOrEqualTo((t - r.blackout()) * r.budget());
    }

    @Property(tries = 2000)
    void periodicAfterTheBlackout(@ForAll("resources") PeriodicResource r,
            @ForAll @LongRange(min = 0, max = 1_000_000_000) long x) {
        long t = r.blackout() + x;
        assertThat(r.supply(t + r.period())).isEqualTo(r.supply(t) + r.budget());
    }

    @Property(tries = 2000)
    void moreBudgetNeverSuppliesLess(@ForAll("resources") PeriodicResource r,
            @ForAll @LongRange(min = 0, max = 1_000_000_000) long t) {
        if (r.budget() < r.period()) {
            assertThat(new PeriodicResource(r.budget() + 1, r.period()).supply(t)).isGreaterThanOrEqualTo(r.supply(t));
        }
    }

    @Provide
    Arbitrary<long[]> windows() {
        return Combinators.combine(Arbitraries.longs().between(1, 50), Arbitraries.longs().between(0, 50),
                Arbitraries.longs().between(0, 400)).as((p, q, t) -> new long[] {p, Math.min(q, p), t});
    }

    @Property(tries = 300)
    void isTheLeastSupplyOverEveryPlacementOfTheBudgets(@ForAll("windows") long[] w) {
        // Brute force over small integers: every way to place one contiguous budget per period (the
        // worst case is contiguous), every window start; the least supply seen equals sbf.
        long p = w[0], q = w[1], t = w[2];
        long least = Long.MAX_VALUE;
        long periods = t / p + 3;
        for (long offsetFirst = 0; offsetFirst <= p - q; offsetFirst++) {
            for (long offsetRest = 0; offsetRest <= p - q; offsetRest++) {
                for (long start = 0; start < p; start++) {
                    long supplied = 0;
                    for (long k = 0; k < periods; k++) {
                        long from = k * p + (k == 0 ? offsetFirst : offsetRest);
                        supplied += Math.max(0, Math.min(from + q, start + t) - Math.max(from, start));
                    }
                    least = Math.min(least, supplied);
                }
            }
        }
        assertThat(new PeriodicResource(q, p).supply(t)).isEqualTo(least);
    }
}
