package io.isochron.api.telemetry;

import io.isochron.api.runtime.Enforcement;
import io.isochron.api.runtime.JitterStats;
import io.isochron.api.runtime.SchedulerState;
import io.isochron.api.runtime.TelemetryBufferStats;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds the telemetry {@link Snapshot} from the scheduler's state, the jitter statistics and the
 * store-and-forward buffer's counters: the one place where paths, kinds, units and ranges are
 * decided.
 */
public final class TelemetryModel {
    /** Folder of the VMs; a VM's points are below {@code VirtualMachines/<vm>/}. */
    public static final String VIRTUAL_MACHINES = "VirtualMachines";
    /** The top-level folders (OPC UA FolderType); every other parent of a point is an object. */
    public static final Set<String> FOLDERS = Set.of("PhysicalCpus", VIRTUAL_MACHINES, "IoComponents", "Jitter");

    /** Display range of the decision latency, µs. */
    public static final double LATENCY_RANGE_MICROS = 1_000;
    /** Display range of control-cycle jitter, µs. */
    public static final double JITTER_RANGE_MICROS = 10_000;

    private TelemetryModel() {}

    /**
     * @param jitter the latest statistics of every jitter source (host and VMs); empty when none ran yet
     * @param buffer the store-and-forward buffer's counters, or null when MQTT telemetry does not run
     */
    public static Snapshot of(SchedulerState s, List<JitterStats> jitter, TelemetryBufferStats buffer) {
        Map<String, JitterStats> bySource = new LinkedHashMap<>();
        for (JitterStats j : jitter) {
            bySource.put(j.source(), j);
        }
        List<Point> p = new ArrayList<>();
        p.add(text(null, "Scheduler/ActivePolicy", s.policy(), true));
        p.add(analog(null, "Scheduler/OverlapPercent", Unit.PERCENT, 100, s.overlapPercent(), true));
        p.add(counter(null, "Scheduler/DecisionCount", s.decisionCount()));
        p.add(analog(null, "Scheduler/DecisionLatencyP99", Unit.MICROSECOND, LATENCY_RANGE_MICROS,
                s.decisionLatencyP99Micros(), false));
        Enforcement.SchedExtCounters bpf = s.enforcement().schedExt();
        p.add(text(null, "Scheduler/Enforcement", s.enforcement().backend(), true));
        p.add(text(null, "Scheduler/SchedExt/State", s.enforcement().schedExtState(), true));
        p.add(counter(null, "Scheduler/SchedExt/Dispatches", bpf == null ? null : bpf.dispatches()));
        p.add(new Point(null, "Scheduler/SchedExt/CoRunningSeconds", Kind.DOUBLE, Unit.NONE, 0, false,
                bpf == null ? null : bpf.coRunningSeconds()));
        p.add(counter(null, "Scheduler/SchedExt/Violations", bpf == null ? null : bpf.violations()));
        p.add(counter(null, "Scheduler/SchedExt/DeadlineMisses", bpf == null ? null : bpf.deadlineMisses()));
        p.add(new Point(null, "Health", Kind.HEALTH, Unit.NONE, 0, true, s.health()));
        p.add(text(null, "HealthReason", s.healthReason(), true));
        for (SchedulerState.Pcpu c : s.pcpus()) {
            String prefix = "PhysicalCpus/Cpu" + c.index() + "/";
            boolean idle = c.runningVcpu().isEmpty();
            p.add(text(null, prefix + "RunningVcpu", c.runningVcpu(), false));
            // An idle pCPU runs nothing, so it has no category; NONE means CPU-only work runs.
            p.add(text(null, prefix + "Category", idle ? "" : c.category().name(), false));
            p.add(analog(null, prefix + "Utilization", Unit.PERCENT, 100, c.utilizationPercent(), false));
        }
        // Demand on a component can reach 100 % per pCPU running one of its vCPUs.
        double componentRange = 100.0 * Math.max(1, s.pcpus().size());
        for (SchedulerState.Component c : s.components()) {
            String prefix = "IoComponents/" + c.category().name() + "/";
            p.add(analog(null, prefix + "Utilization", Unit.PERCENT, componentRange, c.utilizationPercent(), false));
            p.add(analog(null, prefix + "Peak", Unit.PERCENT, componentRange, c.peakPercent(), false));
            p.add(new Point(null, prefix + "OverloadSeconds", Kind.DOUBLE, Unit.NONE, 0, false, c.overloadSeconds()));
        }
        jitter(p, null, "Jitter/Host/", bySource.get(JitterStats.HOST));
        p.add(counter(null, "Telemetry/Buffered", buffer == null ? null : buffer.buffered()));
        p.add(counter(null, "Telemetry/Dropped", buffer == null ? null : buffer.dropped()));
        p.add(counter(null, "Telemetry/Corrupt", buffer == null ? null : buffer.corrupt()));

        Map<String, List<SchedulerState.Vcpu>> byVm = new LinkedHashMap<>();
        for (SchedulerState.Vcpu v : s.vcpus()) {
            byVm.computeIfAbsent(v.vm(), k -> new ArrayList<>()).add(v);
        }
        byVm.forEach((vm, vcpus) -> {
            for (SchedulerState.Vcpu v : vcpus) {
                String prefix = "Vcpu" + v.index() + "/";
                // A vCPU's category changes with its jobs, many times a second: a measurement, not news.
                p.add(text(vm, prefix + "Category", v.category().name(), false));
                p.add(text(vm, prefix + "State", v.state().name(), false));
                p.add(new Point(vm, prefix + "PhysicalCpu", Kind.INT32, Unit.NONE, 0, false, v.pcpu()));
                p.add(analog(vm, prefix + "IoUtilization", Unit.PERCENT, 100, v.ioPercent(), false));
            }
            jitter(p, vm, "Jitter/", bySource.get(vm));
        });
        return new Snapshot(s.timestampMillis(), p);
    }

    private static void jitter(List<Point> p, String vm, String prefix, JitterStats j) {
        p.add(analog(vm, prefix + "Min", Unit.MICROSECOND, JITTER_RANGE_MICROS, j == null ? null : j.minMicros(), false));
        p.add(analog(vm, prefix + "Avg", Unit.MICROSECOND, JITTER_RANGE_MICROS, j == null ? null : j.avgMicros(), false));
        p.add(analog(vm, prefix + "Max", Unit.MICROSECOND, JITTER_RANGE_MICROS, j == null ? null : j.maxMicros(), false));
        p.add(analog(vm, prefix + "P99", Unit.MICROSECOND, JITTER_RANGE_MICROS, j == null ? null : j.p99Micros(), false));
        p.add(counter(vm, prefix + "Samples", j == null ? null : j.samples()));
        p.add(counter(vm, prefix + "Overruns", j == null ? null : j.overruns()));
    }

    private static Point text(String vm, String name, String value, boolean discrete) {
        return new Point(vm, name, Kind.STRING, Unit.NONE, 0, discrete, value);
    }

    private static Point analog(String vm, String name, Unit unit, double range, Double value, boolean discrete) {
        return new Point(vm, name, Kind.DOUBLE, unit, range, discrete, value);
    }

    private static Point counter(String vm, String name, Long value) {
        return new Point(vm, name, Kind.UINT64, Unit.NONE, 0, false, value);
    }
}
