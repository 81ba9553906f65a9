package io.isochron.jitter;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the per-cycle output of {@code cyclictest -v} ("thread: cycle: latency µs", one line per
 * cycle) into a window. Every cycle counts, so windows are exact, unlike the summary line that only
 * shows the running min/avg/max. Missed cycles are derived from the latency the way cyclictest skips
 * deadlines that already passed; cycles cyclictest could not print (its value buffer overflowed) are
 * counted as {@link #lost()}.
 */
public final class CyclictestParser {
    private static final Pattern SAMPLE = Pattern.compile("^\\s*(\\d+):\\s*(\\d+):\\s*(\\d+)\\s*$");

    private final long intervalMicros;
    private final Map<Integer, Long> nextCycle = new HashMap<>();
    private long lost;
    private long ignoredLines;

    public CyclictestParser(long intervalMicros) {
        if (intervalMicros <= 0) {
            throw new IllegalArgumentException("interval must be > 0 µs, got " + intervalMicros);
        }
        this.intervalMicros = intervalMicros;
    }

    /** The command line that makes cyclictest print what this parser reads. */
    public static List<String> command(String executable, long intervalMicros, int priority, int cpu, int threads) {
        List<String> cmd = new java.util.ArrayList<>(List.of(executable, "--verbose", "--mlockall",
                "--interval=" + intervalMicros, "--threads=" + threads,
                // With several threads, a distance other than 0 gives each a different interval.
                "--distance=0"));
        if (priority > 0) {
            cmd.add("--priority=" + priority);
        } else {
            cmd.add("--policy=other");
        }
        if (cpu >= 0) {
            cmd.add("--affinity=" + cpu);
        }
        return List.copyOf(cmd);
    }

    /** @return true if the line was a sample and went into the window */
    public boolean accept(String line, LatencyWindow window) {
        Matcher m = SAMPLE.matcher(line);
        if (!m.matches()) {
            ignoredLines++;
            return false;
        }
        int thread;
        long cycle;
        long latency;
        try {
            thread = Integer.parseInt(m.group(1));
            cycle = Long.parseLong(m.group(2));
            latency = Long.parseLong(m.group(3));
        } catch (NumberFormatException tooLarge) {
            ignoredLines++;
            return false;
        }
        Long expected = nextCycle.put(thread, cycle + 1);
        if (expected != null && cycle > expected) {
            lost += cycle - expected;
        }
        window.record(latency);
        window.addOverruns(missedCycles(latency, intervalMicros));
        return true;
    }

    /**
     * Deadlines skipped after waking {@code latencyMicros} late: cyclictest moves the next deadline
     * one interval on and then past every deadline that is already over.
     */
    public static long missedCycles(long latencyMicros, long intervalMicros) {
        return latencyMicros <= intervalMicros ? 0 : (latencyMicros - 1) / intervalMicros;
    }

    /** Cycles that cyclictest measured but did not print. */
    public long lost() {
        return lost;
    }

    /** Lines that were not samples (banner, warnings). */
    public long ignoredLines() {
        return ignoredLines;
    }
}
