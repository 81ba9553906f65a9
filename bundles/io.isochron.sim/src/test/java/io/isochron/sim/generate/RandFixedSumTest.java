package io.isochron.sim.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Scale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RandFixedSumTest {

    @Property(tries = 500)
    void valuesSumToTheTargetAndStayInBounds(@ForAll @IntRange(min = 1, max = 60) int n,
            @ForAll @DoubleRange(min = -50, max = 50) @Scale(12) double lo,
            @ForAll @DoubleRange(min = 0, max = 50) @Scale(12) double width,
            @ForAll @DoubleRange(min = 0, max = 1) @Scale(15) double fraction, @ForAll long seed) {
        double hi = lo + width;
        double sum = Math.min(Math.max(n * lo + fraction * n * width, n * lo), n * hi);
        double[] x = RandFixedSum.draw(n, sum, lo, hi, new SplittableRandom(seed));
        assertThat(x).hasSize(n);
        assertThat(Arrays.stream(x).sum()).isCloseTo(sum, within(1e-9 * n));
        for (double v : x) {
            assertThat(v).isNotNaN().isBetween(lo - 1e-12, hi + 1e-12);
        }
    }

    @Property(tries = 200)
    void sameSeedGivesTheSameDraw(@ForAll @IntRange(min = 1, max = 40) int n,
            @ForAll @DoubleRange(min = 0, max = 1) @Scale(15) double fraction, @ForAll long seed) {
        double sum = fraction * n;
        double[] first = RandFixedSum.draw(n, sum, 0, 1, new SplittableRandom(seed));
        double[] second = RandFixedSum.draw(n, sum, 0, 1, new SplittableRandom(seed));
        assertThat(second).containsExactly(first);
    }

    @Property(tries = 200)
    void nearTheCornersTheValuesStayFinite(@ForAll @IntRange(min = 2, max = 200) int n,
            @ForAll @IntRange(min = 6, max = 300) int exponent, @ForAll @DoubleRange(min = 1, max = 10) @Scale(6) double mantissa,
            @ForAll boolean top, @ForAll long seed) {
        double offset = mantissa * Math.pow(10, -exponent);
        double sum = top ? n - offset : offset;
        double[] x = RandFixedSum.draw(n, sum, 0, 1, new SplittableRandom(seed));
        assertThat(Arrays.stream(x).sum()).isCloseTo(sum, within(1e-9 * n));
        for (double v : x) {
            assertThat(v).isNotNaN().isBetween(0.0, 1.0);
        }
    }

    @Test
    void edgesGiveTheOnlyPoint() {
        SplittableRandom rnd = new SplittableRandom(1);
        assertThat(RandFixedSum.draw(5, 5 * 0.2, 0.2, 0.7, rnd)).containsOnly(0.2);
        assertThat(RandFixedSum.draw(5, 5 * 0.7, 0.2, 0.7, rnd)).containsOnly(0.7);
        assertThat(RandFixedSum.draw(1, 0.4, 0.2, 0.7, rnd)).containsExactly(0.4);
        assertThat(RandFixedSum.draw(1, 0.2, 0.2, 0.7, rnd)).containsExactly(0.2);
        assertThat(RandFixedSum.draw(3, 1.5, 0.5, 0.5, rnd)).containsOnly(0.5);
        assertThat(RandFixedSum.draw(1000, 0, 0, 1, rnd)).containsOnly(0.0);
        assertThat(RandFixedSum.draw(1000, 1000, 0, 1, rnd)).containsOnly(1.0);
    }

    @Test
    void integerSumsInsideTheRangeAreFine() {
        SplittableRandom rnd = new SplittableRandom(7);
        for (int n = 2; n <= 12; n++) {
            for (int s = 0; s <= n; s++) {
                double[] x = RandFixedSum.draw(n, s, 0, 1, rnd);
                assertThat(Arrays.stream(x).sum()).isCloseTo(s, within(1e-9 * n));
                assertThat(Arrays.stream(x).boxed()).allSatisfy(v -> assertThat(v).isBetween(0.0, 1.0));
            }
        }
    }

    @Test
    void largeDimensionsStayAccurate() {
        SplittableRandom rnd = new SplittableRandom(3);
        for (double s : new double[] {0.5, 17.25, 500, 999.5}) {
            double[] x = RandFixedSum.draw(1000, s, 0, 1, rnd);
            assertThat(Arrays.stream(x).sum()).isCloseTo(s, within(1e-9 * 1000));
            assertThat(Arrays.stream(x).boxed()).allSatisfy(v -> assertThat(v).isBetween(0.0, 1.0));
        }
    }

    @Test
    void eachCoordinateHasMeanSumOverN() {
        int n = 7;
        double sum = 2.3;
        int samples = 40_000;
        double[] mean = new double[n];
        SplittableRandom rnd = new SplittableRandom(11);
        for (int k = 0; k < samples; k++) {
            double[] x = RandFixedSum.draw(n, sum, 0, 1, rnd);
            for (int i = 0; i < n; i++) {
                mean[i] += x[i] / samples;
            }
        }
        for (double m : mean) {
            // a coordinate's standard deviation is below 0.5, so 5 standard errors stay below 0.0125
            assertThat(m).isCloseTo(sum / n, within(0.0125));
        }
    }

    @Test
    void firstCoordinateOfTheUniformSimplexHasItsExactMarginal() {
        int samples = 40_000;
        int below = 0;
        SplittableRandom rnd = new SplittableRandom(5);
        for (int k = 0; k < samples; k++) {
            if (RandFixedSum.draw(3, 1, 0, 1, rnd)[0] < 0.5) {
                below++;
            }
        }
        double p = 0.75;
        double standardError = Math.sqrt(p * (1 - p) / samples);
        assertThat((double) below / samples).isCloseTo(p, within(5 * standardError));
    }

    @Test
    void minimumOfTheUniformSimplexHasItsExactDistribution() {
        // for x uniform on {x >= 0, x1 + x2 + x3 = 1}: P(min x > a) = (1 - 3a)^2
        int samples = 40_000;
        int above = 0;
        SplittableRandom rnd = new SplittableRandom(9);
        for (int k = 0; k < samples; k++) {
            if (Arrays.stream(RandFixedSum.draw(3, 1, 0, 1, rnd)).min().orElseThrow() > 0.1) {
                above++;
            }
        }
        double p = 0.49;
        double standardError = Math.sqrt(p * (1 - p) / samples);
        assertThat((double) above / samples).isCloseTo(p, within(5 * standardError));
    }

    /** The marginal of x1 is proportional to the Irwin-Hall density of n - 1 uniforms at s - x1. */
    @ParameterizedTest
    @CsvSource({"3, 1.5, 0, 1, 0.25", "4, 1.7, 0, 1, 0.3", "5, 3.8, 0, 1, 0.9", "6, 4.5, -1, 3, 0.4",
            "2, 1.3, 0, 1, 0.5", "5, 2.0, 0, 1, 0.2", "8, 6.9, 0, 1, 0.95"})
    void firstCoordinateHasTheExactMarginal(int n, double sum, double lo, double hi, double quantileUnit) {
        double s = (sum - n * lo) / (hi - lo);
        double p = (irwinHallCdf(n - 1, s) - irwinHallCdf(n - 1, s - quantileUnit))
                / (irwinHallCdf(n - 1, s) - irwinHallCdf(n - 1, s - 1));
        double threshold = lo + quantileUnit * (hi - lo);
        int samples = 40_000;
        int below = 0;
        SplittableRandom rnd = new SplittableRandom(n * 1000L + (long) (sum * 10));
        for (int k = 0; k < samples; k++) {
            if (RandFixedSum.draw(n, sum, lo, hi, rnd)[0] < threshold) {
                below++;
            }
        }
        double standardError = Math.sqrt(p * (1 - p) / samples);
        assertThat((double) below / samples).isCloseTo(p, within(5 * standardError + 1e-12));
    }

    private static double irwinHallCdf(int m, double t) {
        if (t <= 0) {
            return 0;
        }
        if (t >= m) {
            return 1;
        }
        double total = 0;
        double binomial = 1;
        for (int k = 0; k <= Math.floor(t); k++) {
            total += (k % 2 == 0 ? 1 : -1) * binomial * Math.pow(t - k, m);
            binomial = binomial * (m - k) / (k + 1);
        }
        double factorial = 1;
        for (int i = 2; i <= m; i++) {
            factorial *= i;
        }
        return total / factorial;
    }

    @Test
    void invalidArgumentsAreRejectedWithTheAllowedRange() {
        SplittableRandom rnd = new SplittableRandom(1);
        assertThatThrownBy(() -> RandFixedSum.draw(0, 0, 0, 1, rnd)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("n must be >= 1, got 0");
        assertThatThrownBy(() -> RandFixedSum.draw(2, 1, 1, 0, rnd)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("lo <= hi").hasMessageContaining("lo=1.0, hi=0.0");
        assertThatThrownBy(() -> RandFixedSum.draw(3, 3.5, 0, 1, rnd)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("sum must be in [n*lo, n*hi] = [0.0, 3.0] for n=3, got 3.5");
        assertThatThrownBy(() -> RandFixedSum.draw(3, -0.1, 0, 1, rnd)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got -0.1");
        assertThatThrownBy(() -> RandFixedSum.draw(3, Double.NaN, 0, 1, rnd))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got NaN");
        assertThatThrownBy(() -> RandFixedSum.draw(3, 1, Double.NEGATIVE_INFINITY, 1, rnd))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("finite");
        assertThatThrownBy(() -> RandFixedSum.draw(3, 1, 0, 1, null)).isInstanceOf(IllegalArgumentException.class);
    }
}
