package io.isochron.shell;

import io.isochron.api.runtime.Enforcement;
import io.isochron.api.runtime.JitterStats;
import io.isochron.api.runtime.PolicyControl;
import io.isochron.api.runtime.SchedulerState;
import io.isochron.api.telemetry.Point;
import io.isochron.api.telemetry.Snapshot;
import io.isochron.api.telemetry.Unit;
import java.util.List;
import java.util.Locale;

/** Text for the shell commands, from a scheduler snapshot. */
final class StatusFormat {
    private StatusFormat() {}

    static String status(SchedulerState s) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "policy     %s%s%s%n", s.policy(),
                s.policy().equals("interference-aware") ? String.format(Locale.ROOT, " (overlap %.1f %%)", s.overlapPercent()) : "",
                s.policy().equals(s.configuredPolicy()) ? "" : " — fallback, configured: " + s.configuredPolicy()));
        b.append(String.format(Locale.ROOT, "health     %s%s%n", s.health(), s.healthReason().isEmpty() ? "" : ": " + s.healthReason()));
        b.append(String.format(Locale.ROOT, "bridge     %s%n", s.bridge().isEmpty() ? "(none)" : s.bridge()));
        Enforcement e = s.enforcement();
        b.append(String.format(Locale.ROOT, "enforced   %s%n", e.backend()));
        if (!e.schedExtState().isEmpty()) {
            b.append(String.format(Locale.ROOT, "sched_ext  %s%n", e.schedExtState()));
        }
        if (e.schedExt() != null) {
            b.append(String.format(Locale.ROOT, "           %d dispatches, co-running %.3f s, %d violations%n",
                    e.schedExt().dispatches(), e.schedExt().coRunningSeconds(), e.schedExt().violations()));
        }
        b.append(String.format(Locale.ROOT, "decisions  %d (p99 latency %.2f µs)%n", s.decisionCount(),
                s.decisionLatencyP99Micros()));
        if (!s.pcpus().isEmpty()) {
            b.append(String.format(Locale.ROOT, "%n%-6s %-20s %-9s %7s%n", "pCPU", "running", "category", "util %"));
            for (SchedulerState.Pcpu p : s.pcpus()) {
                b.append(String.format(Locale.ROOT, "%-6s %-20s %-9s %7.1f%n", "cpu" + p.index(),
                        p.runningVcpu().isEmpty() ? "-" : p.runningVcpu(), p.runningVcpu().isEmpty() ? "" : p.category(),
                        p.utilizationPercent()));
            }
        }
        if (!s.components().isEmpty()) {
            b.append(String.format(Locale.ROOT, "%n%-9s %7s %7s %12s%n", "component", "util %", "peak %", "overload s"));
            for (SchedulerState.Component c : s.components()) {
                b.append(String.format(Locale.ROOT, "%-9s %7.1f %7.1f %12.3f%n", c.category(), c.utilizationPercent(),
                        c.peakPercent(), c.overloadSeconds()));
            }
        }
        return b.toString();
    }

    /**
     * The jitter table of {@code status}: one line per source (host first), µs and percent of the
     * source's cycle. {@code null}: no jitter monitor runs.
     */
    static String jitter(List<JitterStats> stats) {
        if (stats == null) {
            return String.format(Locale.ROOT, "%njitter     (no jitter monitor)%n");
        }
        if (stats.isEmpty()) {
            return String.format(Locale.ROOT, "%njitter     (no window completed yet)%n");
        }
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%n%-12s %7s %8s %8s %8s %8s %8s %10s %8s %9s%n",
                "jitter", "cycle", "min µs", "avg µs", "max µs", "p99 µs", "p99.9 µs", "samples", "overruns",
                "p99 % cyc"));
        for (JitterStats j : stats) {
            b.append(String.format(Locale.ROOT, "%-12s %7d %8.1f %8.1f %8.1f %8.1f %8.1f %10d %8d %9.1f%n", j.source(),
                    j.cycleMicros(), j.minMicros(), j.avgMicros(), j.maxMicros(), j.p99Micros(), j.p999Micros(), j.samples(),
                    j.overruns(), j.cycleMicros() <= 0 ? 0 : j.p99Micros() * 100 / j.cycleMicros()));
        }
        return b.toString();
    }

    static String vms(SchedulerState s) {
        if (s.vcpus().isEmpty()) {
            return "no vCPUs registered" + (s.bridge().isEmpty() ? " (no hypervisor bridge attached)" : "") + "\n";
        }
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-16s %-5s %-9s %-8s %-5s %6s%n", "vm", "vcpu",
                "category", "state", "pcpu", "io %"));
        for (SchedulerState.Vcpu v : s.vcpus()) {
            b.append(String.format(Locale.ROOT, "%-16s %-5d %-9s %-8s %-5s %6.1f%n", v.vm(), v.index(), v.category(),
                    v.state(), v.pcpu() < 0 ? "-" : Integer.toString(v.pcpu()), v.ioPercent()));
        }
        return b.toString();
    }

    /** One line per point: path, value (or "-" while there is none) and unit. */
    static String telemetry(Snapshot s, String prefix) {
        StringBuilder b = new StringBuilder();
        for (Point p : s.points()) {
            if (p.path().startsWith(prefix)) {
                Object v = Snapshot.scalar(p);
                String shown = v == null ? "-" : v instanceof Double d ? String.format(Locale.ROOT, "%.3f", d) : v.toString();
                b.append(String.format(Locale.ROOT, "%-48s %s%s%n", p.path(), shown.isEmpty() ? "\"\"" : shown,
                        p.unit() == Unit.PERCENT ? " %" : p.unit() == Unit.MICROSECOND ? " µs" : ""));
            }
        }
        return b.length() == 0 ? "no value under '" + prefix + "'\n" : b.toString();
    }

    static String policy(PolicyControl.ActivePolicy active, List<String> available) {
        return String.format(Locale.ROOT, "active     %s (overlap %.1f %%)%s%navailable  %s%n", active.name(),
                active.overlapPercent(), active.fallback() ? " — fallback, configured: " + active.configured() : "",
                String.join(", ", available));
    }
}
