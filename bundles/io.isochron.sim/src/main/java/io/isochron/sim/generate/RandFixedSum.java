package io.isochron.sim.generate;

import java.util.random.RandomGenerator;

/**
 * Uniformly distributed points on the slice {x in [lo, hi]^n : sum x = sum} of a hypercube
 * (Stafford's RandFixedSum method).
 *
 * <p>After rescaling to the unit cube the slice P(n, t) = {y in [0,1]^n : sum y = t} is a convex
 * polytope of dimension n - 1. It is the union of the pyramids with apex at its centre (t/n, ...,
 * t/n) over its facets y_j = 0 (a copy of P(n - 1, t)) and y_j = 1 (a copy of P(n - 1, t - 1)).
 * A pyramid's volume is proportional to its base's volume times the apex's distance from the base,
 * t/n for y_j = 0 and (n - t)/n for y_j = 1, which gives the Irwin-Hall recursion
 * V(n, t) ∝ t V(n-1, t) + (n - t) V(n-1, t-1) with only non-negative terms. Recursing on the
 * facets of the first coordinate decomposes P(n, t) into simplices that are all images of one
 * another under coordinate permutations, so a point is drawn by choosing a chain of facets with
 * probabilities proportional to the pyramid volumes, a point in the resulting simplex (the
 * distance fraction from an apex of a d-dimensional pyramid has density ∝ r^(d-1)), and finally
 * a uniformly random permutation of the coordinates.
 */
public final class RandFixedSum {
    private RandFixedSum() {
    }

    /**
     * Draws one point uniformly from {x in [lo, hi]^n : sum x = sum}, coordinates in random order.
     *
     * @throws IllegalArgumentException if n &lt; 1, lo &gt; hi, a bound or the sum is not finite,
     *         or sum is outside [n*lo, n*hi] (beyond a few ulps of rounding)
     */
    public static double[] draw(int n, double sum, double lo, double hi, RandomGenerator rnd) {
        if (n < 1) {
            throw new IllegalArgumentException("n must be >= 1, got " + n);
        }
        if (!Double.isFinite(lo) || !Double.isFinite(hi) || lo > hi) {
            throw new IllegalArgumentException("bounds must be finite with lo <= hi, got lo=" + lo + ", hi=" + hi);
        }
        double min = n * lo;
        double max = n * hi;
        double tolerance = 4.0 * n * Math.ulp(Math.max(Math.max(Math.abs(lo), Math.abs(hi)), Double.MIN_NORMAL));
        if (!Double.isFinite(sum) || sum < min - tolerance || sum > max + tolerance) {
            throw new IllegalArgumentException("sum must be in [n*lo, n*hi] = [" + min + ", " + max + "] for n=" + n
                    + ", got " + sum);
        }
        if (rnd == null) {
            throw new IllegalArgumentException("a random generator is required, got null");
        }
        double width = hi - lo;
        double[] x = new double[n];
        if (n == 1 || width == 0) {
            java.util.Arrays.fill(x, clamp(n == 1 ? sum : lo, lo, hi));
            return x;
        }
        double t = Math.min(Math.max((sum - min) / width, 0.0), n);
        double[] y;
        if (t <= 0) {
            y = new double[n];
        } else if (t >= n) {
            y = new double[n];
            java.util.Arrays.fill(y, 1.0);
        } else {
            y = unitSlice(n, t, rnd);
        }
        shuffle(y, rnd);
        for (int i = 0; i < n; i++) {
            x[i] = clamp(lo + width * y[i], lo, hi);
        }
        correctSum(x, sum, lo, hi);
        return x;
    }

    /** A uniform point of {y in [0,1]^n : sum y = t} for n >= 2 and 0 < t < n, in canonical order. */
    private static double[] unitSlice(int n, double t, RandomGenerator rnd) {
        int k = Math.min((int) Math.floor(t), n - 1);
        double u = t - k;
        double[][] w = volumes(n, u);
        double[] y = new double[n];
        double remaining = t;
        int j = k;
        double apexSum = 0;
        double weight = 1;
        for (int free = n; free >= 2; free--) {
            int m = free - 1;
            boolean one = chooseOne(w[m], m, j, u, remaining, rnd.nextDouble());
            double r = Math.pow(rnd.nextDouble(), 1.0 / m);
            apexSum += (1 - r) * weight * remaining / free;
            weight *= r;
            y[n - free] = apexSum + (one ? weight : 0.0);
            if (one) {
                remaining -= 1;
                j--;
            }
        }
        y[n - 1] = apexSum + weight * Math.max(remaining, 0.0);
        return y;
    }

    /**
     * Whether the next coordinate takes the facet y = 1, for a slice of m + 1 free coordinates whose
     * remaining sum is j + u.
     */
    private static boolean chooseOne(double[] row, int m, int j, double u, double remaining, double draw) {
        double zero = (j + u) * at(row, j);
        double one = ((m + 1 - j) - u) * at(row, j - 1);
        double total = zero + one;
        if (!(total > 0)) {
            return remaining > (m + 1) / 2.0;
        }
        return draw * total < one;
    }

    private static double at(double[] row, int j) {
        return j >= 0 && j < row.length ? row[j] : 0.0;
    }

    /**
     * Row m holds values proportional to the (m-1)-volume of {z in [0,1]^m : sum z = j + u} for
     * j = 0 .. m-1, each row scaled to a maximum of 1 (only ratios within a row are used).
     */
    private static double[][] volumes(int n, double u) {
        double[][] w = new double[n][];
        w[1] = new double[] {1.0};
        for (int m = 2; m < n; m++) {
            double[] prev = w[m - 1];
            double[] row = new double[m];
            double max = 0;
            for (int j = 0; j < m; j++) {
                double v = (j + u) * at(prev, j) + ((m - j) - u) * at(prev, j - 1);
                row[j] = v;
                max = Math.max(max, v);
            }
            if (max > 0) {
                for (int j = 0; j < m; j++) {
                    row[j] /= max;
                }
            }
            w[m] = row;
        }
        return w;
    }

    private static void shuffle(double[] y, RandomGenerator rnd) {
        for (int i = y.length - 1; i > 0; i--) {
            int s = rnd.nextInt(i + 1);
            double tmp = y[i];
            y[i] = y[s];
            y[s] = tmp;
        }
    }

    /** Moves the rounding residue of the sum onto coordinates that have room for it. */
    private static void correctSum(double[] x, double sum, double lo, double hi) {
        for (int pass = 0; pass < 2; pass++) {
            double total = 0;
            for (double v : x) {
                total += v;
            }
            double residue = sum - total;
            for (int i = 0; i < x.length && residue != 0; i++) {
                double moved = clamp(x[i] + residue, lo, hi);
                residue -= moved - x[i];
                x[i] = moved;
            }
        }
    }

    private static double clamp(double v, double lo, double hi) {
        return Math.min(Math.max(v, lo), hi);
    }
}
