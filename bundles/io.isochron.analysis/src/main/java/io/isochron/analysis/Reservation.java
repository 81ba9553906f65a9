package io.isochron.analysis;

/**
 * A reservation for one vCPU: the least budget at this period in whole nanoseconds, and that budget
 * rounded up to the configuration granularity (what is actually reserved).
 */
public record Reservation(long period, long budget, long roundedBudget) {
    /** Bandwidth actually reserved, roundedBudget / period. */
    public double bandwidth() {
        return roundedBudget / (double) period;
    }

    /** Less reserved bandwidth; then less unrounded bandwidth; then the longer period. */
    boolean isBetterThan(Reservation o) {
        int c = Ratio.of(roundedBudget, period).compareTo(Ratio.of(o.roundedBudget, o.period));
        if (c == 0) {
            c = Ratio.of(budget, period).compareTo(Ratio.of(o.budget, o.period));
        }
        return c < 0 || (c == 0 && period > o.period);
    }
}
