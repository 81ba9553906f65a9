package io.isochron.cli;

import io.isochron.analysis.AnalysisException;
import io.isochron.analysis.Demand;
import io.isochron.analysis.Heuristic;
import io.isochron.analysis.Partition;
import io.isochron.analysis.Partitioner;
import io.isochron.analysis.Reservation;
import io.isochron.analysis.Scheduler;
import io.isochron.analysis.Task;
import io.isochron.analysis.Time;
import io.isochron.analysis.taskset.TaskSetException;
import io.isochron.analysis.taskset.TaskSetLoader;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "analyze", mixinStandardHelpOptions = true,
        description = "Partition a task set over vCPUs and size the least periodic reservation (Q, P) of each.")
final class AnalyzeCommand implements Callable<Integer> {
    /** Upper limit on the periods one --period-range may ask to try. */
    static final long MAX_CANDIDATE_PERIODS = 10_000;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "TASKSET", description = "Task-set YAML: tasks: [{name, wcet, period, deadline}] in ms")
    Path taskSet;

    @Option(names = "--vcpus", defaultValue = "1", description = "vCPUs to partition over (default: ${DEFAULT-VALUE})")
    int vcpus;

    @Option(names = "--scheduler", defaultValue = "edf",
            description = "Scheduler inside each vCPU: edf or rm (deadline-monotonic) (default: ${DEFAULT-VALUE})")
    String scheduler;

    @Option(names = "--period", paramLabel = "P", description = "Reservation period in ms (default: half the shortest deadline)")
    String period;

    @Option(names = "--period-range", paramLabel = "A:B",
            description = "Try every period from A to B ms in steps of the granularity; keep the least bandwidth per vCPU")
    String periodRange;

    @Option(names = "--granularity", paramLabel = "G", defaultValue = "0.01",
            description = "Budgets are rounded up, and periods chosen, in steps of G ms (default: ${DEFAULT-VALUE})")
    String granularity;

    @Option(names = "--heuristic", defaultValue = "min-bandwidth",
            description = "ffd, wfd or min-bandwidth (default: ${DEFAULT-VALUE})")
    String heuristic;

    @Option(names = "--json", description = "Print the result as JSON")
    boolean json;

    /** The JSON result. Times in ms, budgets also in exact ns. */
    record Result(String taskSet, int tasks, double utilisation, int vcpus, String scheduler, String heuristic,
            double granularityMs, double periodFromMs, double periodToMs, List<VcpuResult> partition,
            double totalBandwidth) {}

    record VcpuResult(int vcpu, List<String> tasks, double utilisation, double periodMs, long budgetNs,
            double budgetMs, double roundedBudgetMs, double bandwidth) {}

    @Override
    public Integer call() {
        if (vcpus < 1) {
            throw new BadInputException("--vcpus must be at least 1, got " + vcpus);
        }
        Scheduler sched = Scheduler.parse(scheduler);
        Heuristic heur = Heuristic.parse(heuristic);
        long g = positiveMillis("--granularity", granularity);
        if (period != null && periodRange != null) {
            throw new BadInputException("--period and --period-range exclude each other (give one, or neither for the default)");
        }
        if (!Files.isRegularFile(taskSet)) {
            throw new BadInputException("task set file not found: " + taskSet + " (a YAML file with 'tasks:')");
        }
        List<Task> tasks;
        try {
            tasks = TaskSetLoader.load(taskSet, vcpus);
        } catch (TaskSetException e) {
            throw new BadInputException(e.getMessage());
        }
        long[] periods = periods(tasks, g);
        Partition partition;
        try {
            partition = Partitioner.partition(tasks, vcpus, new Partitioner.Settings(sched, heur, periods[0], periods[1], g));
        } catch (AnalysisException e) {
            throw new BadInputException(e.getMessage());
        }
        List<VcpuResult> rows = new ArrayList<>();
        for (Partition.Vcpu v : partition.vcpus()) {
            Reservation r = v.reservation();
            rows.add(new VcpuResult(v.index(), v.tasks().stream().map(Task::name).toList(), v.utilisation(),
                    Time.toMillis(r.period()), r.budget(), Time.toMillis(r.budget()), Time.toMillis(r.roundedBudget()),
                    r.bandwidth()));
        }
        Result result = new Result(taskSet.toString(), tasks.size(), Demand.utilisation(tasks).doubleValue(), vcpus,
                sched.id(), heur.id(), Time.toMillis(g), Time.toMillis(periods[0]), Time.toMillis(periods[1]), rows,
                partition.totalBandwidth());
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Output.json(out, result);
        } else {
            print(out, result, partition, periods, g);
        }
        return 0;
    }

    /** The allowed periods as {from, to}, both multiples of g. */
    private long[] periods(List<Task> tasks, long g) {
        if (period != null) {
            long p = positiveMillis("--period", period);
            if (p % g != 0) {
                throw new BadInputException("--period " + period + " ms is not a multiple of the granularity "
                        + Time.formatMillis(g) + " ms (allowed: multiples of --granularity)");
            }
            return new long[] {p, p};
        }
        if (periodRange != null) {
            String[] ends = periodRange.split(":", -1);
            if (ends.length != 2) {
                throw new BadInputException("--period-range must be A:B in ms, got '" + periodRange + "'");
            }
            long a = positiveMillis("--period-range start", ends[0]);
            long b = positiveMillis("--period-range end", ends[1]);
            // Inward to multiples of the granularity.
            long from = (a + g - 1) / g * g;
            long to = b / g * g;
            if (from > to) {
                throw new BadInputException("--period-range " + periodRange + " holds no multiple of the granularity "
                        + Time.formatMillis(g) + " ms (allowed: A <= B with a multiple of G between them)");
            }
            if ((to - from) / g + 1 > MAX_CANDIDATE_PERIODS) {
                throw new BadInputException("--period-range " + periodRange + " at granularity " + Time.formatMillis(g)
                        + " ms has " + ((to - from) / g + 1) + " periods to try (allowed: at most "
                        + MAX_CANDIDATE_PERIODS + "; narrow the range or coarsen --granularity)");
            }
            return new long[] {from, to};
        }
        long shortest = tasks.stream().mapToLong(Task::deadline).min().orElseThrow();
        long p = Math.max(g, shortest / 2 / g * g);
        return new long[] {p, p};
    }

    private static long positiveMillis(String option, String text) {
        long nanos;
        try {
            nanos = Time.parseMillis(text);
        } catch (NumberFormatException | ArithmeticException e) {
            nanos = -1;
        }
        if (nanos <= 0) {
            throw new BadInputException(option + " must be a time in ms > 0 with at most 6 decimals, got '" + text + "'");
        }
        return nanos;
    }

    private static void print(PrintWriter out, Result r, Partition partition, long[] periods, long g) {
        String range = periods[0] == periods[1] ? Time.formatMillis(periods[0])
                : Time.formatMillis(periods[0]) + ".." + Time.formatMillis(periods[1]);
        out.printf(Locale.ROOT, "%s: %d tasks, utilisation %.4f on %d vCPU%s; scheduler %s, heuristic %s, "
                        + "period %s ms, granularity %s ms%n",
                r.taskSet(), r.tasks(), r.utilisation(), r.vcpus(), r.vcpus() == 1 ? "" : "s", r.scheduler(),
                r.heuristic(), range, Time.formatMillis(g));
        out.printf(Locale.ROOT, "%-5s %8s %8s %12s %8s %10s  %s%n", "vCPU", "util", "P ms", "Q ms exact", "Q ms",
                "bandwidth", "tasks");
        for (Partition.Vcpu v : partition.vcpus()) {
            Reservation res = v.reservation();
            out.printf(Locale.ROOT, "%-5d %8.4f %8s %12s %8s %10.4f  %s%n", v.index(), v.utilisation(),
                    Time.formatMillis(res.period()), Time.formatMillis(res.budget()), Time.formatMillis(res.roundedBudget()),
                    res.bandwidth(), v.tasks().isEmpty() ? "-" : String.join(", ", v.tasks().stream().map(Task::name).toList()));
        }
        out.printf(Locale.ROOT, "%-5s %8.4f %8s %12s %8s %10.4f%n", "total", r.utilisation(), "", "", "", r.totalBandwidth());
    }
}
