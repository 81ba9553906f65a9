package io.isochron.analysis;

/**
 * A periodic resource Γ = (Π, Θ) after Shin and Lee (RTSS 2003): {@code budget} Θ units of processor
 * time in every {@code period} Π, delivered at any time within each period. Nanoseconds.
 */
public record PeriodicResource(long budget, long period) {
    public PeriodicResource {
        if (period <= 0 || budget < 0 || budget > period) {
            throw new IllegalArgumentException("a periodic resource needs 0 <= budget <= period and period > 0, got ("
                    + budget + ", " + period + ") ns");
        }
    }

    /** Longest time without any supply: budget at the very start of one period, then at the very end of the next. */
    public long blackout() {
        return 2 * (period - budget);
    }

    /**
     * Supply bound function sbf(t): the least supply in any window of length t. The worst window
     * opens right after a budget that was given as early as possible; the next budgets come as late
     * as possible, so after the blackout 2(Π − Θ) the window sees Θ of supply, Π − Θ of nothing,
     * Θ of supply, and so on.
     */
    public long supply(long t) {
        long u = t - blackout();
        if (u <= 0 || budget == 0) {
            return 0;
        }
        long periods = u / period;
        return periods * budget + Math.min(u - periods * period, budget);
    }

    public Ratio exactBandwidth() {
        return Ratio.of(budget, period);
    }
}
