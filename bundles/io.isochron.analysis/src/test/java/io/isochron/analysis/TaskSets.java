package io.isochron.analysis;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/** Random task sets for the properties. */
final class TaskSets {
    static final long MS = Time.NANOS_PER_MS;
    /** Periods divide 20 ms so that simulations over a few hyperperiods stay short. */
    private static final long[] PERIODS = {MS, 2 * MS, 4 * MS, 5 * MS, 10 * MS, 20 * MS};
    /** Server periods that divide 20 ms too. */
    static final long[] SERVER_PERIODS = {MS / 2, MS, 2 * MS, 5 * MS / 2, 5 * MS};

    private TaskSets() {}

    /** An implicit-deadline task (deadline = period). */
    static Task task(String name, long wcet, long period) {
        return new Task(name, wcet, period, period);
    }

    static long hyperperiod(List<Task> tasks) {
        long h = 1;
        for (Task k : tasks) {
            h = lcm(h, k.period());
        }
        return h;
    }

    /** Exact; the test sets keep it far below overflow. */
    static long lcm(long a, long b) {
        long x = a, y = b;
        while (y != 0) {
            long r = x % y;
            x = y;
            y = r;
        }
        return Math.multiplyExact(a / x, b);
    }

    /**
     * 1–6 tasks of total utilisation up to {@code maxLoad}; wcet and deadline in whole nanoseconds
     * but otherwise arbitrary, so the boundaries the analysis finds are not round numbers.
     */
    static Arbitrary<List<Task>> sets(double maxLoad) {
        Arbitrary<double[]> shape = Combinators.combine(
                        Arbitraries.integers().between(0, PERIODS.length - 1),
                        Arbitraries.doubles().between(0.01, 1),
                        Arbitraries.doubles().between(0, 1))
                .as((p, share, slack) -> new double[] {p, share, slack});
        return Combinators.combine(shape.list().ofMinSize(1).ofMaxSize(6), Arbitraries.doubles().between(0.05, maxLoad))
                .as((shapes, load) -> {
                    double shares = shapes.stream().mapToDouble(s -> s[1]).sum();
                    List<Task> tasks = new ArrayList<>();
                    for (double[] s : shapes) {
                        long period = PERIODS[(int) s[0]];
                        long wcet = Math.max(1, Math.min(period, (long) (load * s[1] / shares * period)));
                        long deadline = wcet + (long) (s[2] * (period - wcet));
                        tasks.add(new Task("t" + tasks.size(), wcet, period, deadline));
                    }
                    return tasks;
                });
    }
}
