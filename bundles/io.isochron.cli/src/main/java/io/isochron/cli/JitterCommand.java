package io.isochron.cli;

import io.isochron.api.runtime.JitterStats;
import io.isochron.jitter.LatencyChart;
import io.isochron.jitter.LatencyWindow;
import io.isochron.jitter.NativeHostSource;
import io.isochron.jitter.NativeProbe;
import io.isochron.jitter.ProbeException;
import io.isochron.jitter.ProbeReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "jitter", mixinStandardHelpOptions = true,
        description = "Measure this host's wake-up latency with the native probe (like cyclictest) and chart it.")
final class JitterCommand implements Callable<Integer> {
    static final String CHART = "jitter-histogram.svg";
    static final double MAX_DURATION_SECONDS = 86_400;

    @Spec
    CommandSpec spec;

    @Option(names = "--interval-us", paramLabel = "N", defaultValue = "1000",
            description = "Cycle in µs, 100..10000 (default: ${DEFAULT-VALUE})")
    long intervalMicros;

    @Option(names = "--duration", paramLabel = "S", defaultValue = "10",
            description = "Seconds to measure, 0.1..86400 (default: ${DEFAULT-VALUE})")
    double durationSeconds;

    @Option(names = "--priority", paramLabel = "P", defaultValue = "80",
            description = "SCHED_FIFO priority 1..99; 0 measures an ordinary SCHED_OTHER thread (default: ${DEFAULT-VALUE})")
    int priority;

    @Option(names = "--cpu", paramLabel = "C", defaultValue = "-1", description = "Pin the probe to CPU C (default: no pinning)")
    int cpu;

    @Option(names = "--no-lock-memory", description = "Do not mlockall (by default all memory is locked, as cyclictest -m does)")
    boolean noLockMemory;

    @Option(names = "--out", paramLabel = "DIR", description = "Directory for the latency histogram (" + CHART + ")")
    Path out;

    @Option(names = "--json", description = "Print the result as JSON")
    boolean json;

    /** The JSON result; latencies in µs. */
    record Result(long intervalMicros, double durationSeconds, String policy, int priority, int cpu, boolean memoryLocked,
            String degraded, long samples, long overruns, double minMicros, double avgMicros, double maxMicros,
            double p99Micros, double p999Micros, double p99PercentOfCycle, double maxPercentOfCycle, long overflow,
            int histogramMicros, double probeCpuPercent, String chart) {}

    @Override
    public Integer call() throws Exception {
        if (intervalMicros < NativeProbe.MIN_INTERVAL_MICROS || intervalMicros > NativeProbe.MAX_INTERVAL_MICROS) {
            throw new BadInputException("--interval-us must be within " + NativeProbe.MIN_INTERVAL_MICROS + ".."
                    + NativeProbe.MAX_INTERVAL_MICROS + ", got " + intervalMicros);
        }
        if (!(durationSeconds >= 0.1 && durationSeconds <= MAX_DURATION_SECONDS)) {
            throw new BadInputException("--duration must be within 0.1..86400 s, got " + durationSeconds);
        }
        if (priority < 0 || priority > 99) {
            throw new BadInputException("--priority must be within 0..99 (0: SCHED_OTHER), got " + priority);
        }
        if (cpu < -1 || cpu >= Runtime.getRuntime().availableProcessors()) {
            throw new BadInputException("--cpu must be a CPU of this host (0.." + (Runtime.getRuntime().availableProcessors() - 1)
                    + ") or -1, got " + cpu);
        }
        if (out != null && Files.exists(out) && !Files.isDirectory(out)) {
            throw new BadInputException("--out '" + out + "' exists and is not a directory");
        }
        int histogramMicros = (int) Math.max(10_000, 10 * intervalMicros);
        NativeProbe.Settings settings = new NativeProbe.Settings(intervalMicros,
                priority > 0 ? NativeProbe.SCHED_FIFO : NativeProbe.SCHED_OTHER, priority, cpu, histogramMicros, !noLockMemory);
        NativeHostSource source;
        try {
            source = NativeHostSource.start(settings);
        } catch (ProbeException e) {
            throw new BadInputException("the kernel refused the probe: " + e.getMessage());
        }
        NativeProbe.Snapshot last;
        long cpuNanos;
        long wallNanos;
        try (source) {
            long started = System.nanoTime();
            Thread.sleep((long) (durationSeconds * 1000));
            last = source.probe().read();
            wallNanos = System.nanoTime() - started;
            cpuNanos = threadCpuNanos(last.tid());
        }
        LatencyWindow window = new LatencyWindow();
        new ProbeReader().addDelta(last, window);
        JitterStats s = window.stats("host", intervalMicros);

        String chart = null;
        if (out != null) {
            Path file = out.resolve(CHART);
            try {
                Files.createDirectories(out);
                Files.writeString(file, LatencyChart.svg(last.histogram(),
                        String.format(Locale.ROOT, "Wake-up latency, %s %d, cycle %d µs, %s", NativeProbe.policyName(last.policy()),
                                last.priority(), intervalMicros, hostName()),
                        String.format(Locale.ROOT, "%d samples in %.1f s: min %.0f, avg %.1f, p99 %.0f, p99.9 %.0f, max %.0f µs; %d overruns",
                                s.samples(), durationSeconds, s.minMicros(), s.avgMicros(), s.p99Micros(), s.p999Micros(),
                                s.maxMicros(), s.overruns())));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
            }
            chart = file.toString();
        }
        Result r = new Result(intervalMicros, durationSeconds, NativeProbe.policyName(last.policy()), last.priority(), cpu,
                !noLockMemory && source.probe().memoryLockErrno() == 0, source.problem(), s.samples(), s.overruns(), s.minMicros(),
                s.avgMicros(), s.maxMicros(), s.p99Micros(), s.p999Micros(),
                LatencyWindow.percentOfCycle(s.p99Micros(), intervalMicros),
                LatencyWindow.percentOfCycle(s.maxMicros(), intervalMicros), last.overflow(), histogramMicros,
                cpuNanos < 0 ? -1 : cpuNanos * 100.0 / wallNanos, chart);
        PrintWriter w = spec.commandLine().getOut();
        if (!source.problem().isEmpty()) {
            spec.commandLine().getErr().println("isochron: " + source.problem());
        }
        if (json) {
            Output.json(w, r);
        } else {
            print(w, r, last.tid());
        }
        return 0;
    }

    private static void print(PrintWriter w, Result r, int tid) {
        // The first line has cyclictest's layout, so tools that read its summary read this one too.
        w.printf(Locale.ROOT, "T: 0 (%5d) P:%2d I:%d C:%8d Min:%7.0f Avg:%5.0f Max:%7.0f%n", tid, r.priority(),
                r.intervalMicros(), r.samples(), r.minMicros(), r.avgMicros(), r.maxMicros());
        w.printf(Locale.ROOT, "policy %s, cycle %d µs, %.1f s, memory %s%n", r.policy(), r.intervalMicros(), r.durationSeconds(),
                r.memoryLocked() ? "locked" : "not locked");
        w.printf(Locale.ROOT, "%-9s %10s %10s%n", "", "µs", "% cycle");
        for (Object[] row : new Object[][] {{"min", r.minMicros()}, {"avg", r.avgMicros()}, {"p99", r.p99Micros()},
                {"p99.9", r.p999Micros()}, {"max", r.maxMicros()}}) {
            double v = (double) row[1];
            w.printf(Locale.ROOT, "%-9s %10.1f %10.2f%n", row[0], v, LatencyWindow.percentOfCycle(v, r.intervalMicros()));
        }
        w.printf(Locale.ROOT, "samples   %10d%noverruns  %10d%nabove %d µs: %d%nprobe CPU %9.2f %%%n", r.samples(), r.overruns(),
                r.histogramMicros(), r.overflow(), r.probeCpuPercent());
        if (r.chart() != null) {
            w.println("histogram " + r.chart());
        }
    }

    /** On-CPU time of a thread of this process (first field of its schedstat), or −1. */
    static long threadCpuNanos(int tid) {
        try {
            String schedstat = Files.readString(Path.of("/proc/self/task/" + tid + "/schedstat")).trim();
            return Long.parseLong(schedstat.split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static String hostName() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
        } catch (IOException e) {
            return "this host";
        }
    }
}
