package io.isochron.jitter;

import io.isochron.api.runtime.GuestJitterSink;
import io.isochron.api.runtime.JitterSource;
import io.isochron.api.runtime.JitterStats;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Windows over the host source and the guests' reports. {@link #closeWindow()} is called once per
 * window: it turns what was collected into {@link JitterStats} and starts the next window. Readers
 * get the last completed windows and never wait for a probe.
 *
 * <p>A VM that sent nothing in a window keeps its previous statistics (guests report at their own
 * pace); a VM is dropped only by {@link #remove}.
 */
public final class JitterMonitor implements JitterSource, GuestJitterSink {
    /** Limits in µs; 0 means no limit. */
    public record Limits(double p99Micros, double maxMicros) {
        public static final Limits NONE = new Limits(0, 0);
    }

    private final HostSource host;
    private final Limits limits;
    private final LatencyWindow hostWindow = new LatencyWindow();
    private final Map<String, Guest> guests = new TreeMap<>();
    private volatile List<JitterStats> latest = List.of();
    private volatile String configProblem = "";

    private static final class Guest {
        final LatencyWindow window = new LatencyWindow();
        long cycleMicros;
        JitterStats last;
    }

    /** @param host null when no host source runs (source {@code off}, or it could not start) */
    public JitterMonitor(HostSource host, Limits limits) {
        this.host = host;
        this.limits = limits;
    }

    /** A problem outside the sources (e.g. a rejected configuration) that {@link #offSpec()} reports. */
    public void setProblem(String problem) {
        configProblem = problem == null ? "" : problem;
    }

    public HostSource host() {
        return host;
    }

    public void closeWindow() {
        List<JitterStats> stats = new ArrayList<>();
        if (host != null) {
            host.drainInto(hostWindow);
            stats.add(hostWindow.stats(JitterStats.HOST, host.cycleMicros()));
            hostWindow.reset();
        }
        synchronized (guests) {
            for (Map.Entry<String, Guest> e : guests.entrySet()) {
                Guest g = e.getValue();
                if (g.window.samples() > 0 || g.window.overruns() > 0) {
                    g.last = g.window.stats(e.getKey(), g.cycleMicros);
                    g.window.reset();
                }
                if (g.last != null) {
                    stats.add(g.last);
                }
            }
        }
        latest = List.copyOf(stats);
    }

    @Override
    public List<JitterStats> jitter() {
        return latest;
    }

    @Override
    public String offSpec() {
        List<String> reasons = new ArrayList<>();
        if (!configProblem.isEmpty()) {
            reasons.add(configProblem);
        }
        if (host != null && !host.problem().isEmpty()) {
            reasons.add(host.problem());
        }
        for (JitterStats s : latest) {
            if (s.samples() == 0) {
                continue;
            }
            if (limits.p99Micros() > 0 && s.p99Micros() > limits.p99Micros()) {
                reasons.add(String.format(Locale.ROOT, "%s: p99 %.0f µs > limit %.0f µs", s.source(), s.p99Micros(),
                        limits.p99Micros()));
            }
            if (limits.maxMicros() > 0 && s.maxMicros() > limits.maxMicros()) {
                reasons.add(String.format(Locale.ROOT, "%s: max %.0f µs > limit %.0f µs", s.source(), s.maxMicros(),
                        limits.maxMicros()));
            }
        }
        return String.join("; ", reasons);
    }

    @Override
    public void report(String vm, long cycleMicros, int[] latencyMicros, int count, long overruns) {
        if (vm == null || vm.isBlank()) {
            throw new IllegalArgumentException("vm name is empty");
        }
        if (cycleMicros <= 0) {
            throw new IllegalArgumentException("cycle of VM '" + vm + "' must be > 0 µs, got " + cycleMicros);
        }
        if (count < 0 || count > latencyMicros.length) {
            throw new IllegalArgumentException("count " + count + " is outside 0.." + latencyMicros.length + " for VM '" + vm + "'");
        }
        if (overruns < 0) {
            throw new IllegalArgumentException("overruns of VM '" + vm + "' must be >= 0, got " + overruns);
        }
        synchronized (guests) {
            Guest g = guests.computeIfAbsent(vm, k -> new Guest());
            if (g.cycleMicros != cycleMicros && g.window.samples() > 0) {
                // Latencies of different cycles do not mix: the old ones close their own window.
                g.last = g.window.stats(vm, g.cycleMicros);
                g.window.reset();
            }
            g.cycleMicros = cycleMicros;
            for (int i = 0; i < count; i++) {
                // A guest clock can read a wake-up as early; that is no lateness.
                g.window.record(Math.max(0, latencyMicros[i]));
            }
            g.window.addOverruns(overruns);
        }
    }

    @Override
    public void remove(String vm) {
        synchronized (guests) {
            guests.remove(vm);
        }
        List<JitterStats> now = latest;
        latest = now.stream().filter(s -> s.source().equals(JitterStats.HOST) || !s.source().equals(vm)).toList();
    }

    public void close() {
        if (host != null) {
            host.close();
        }
    }
}
