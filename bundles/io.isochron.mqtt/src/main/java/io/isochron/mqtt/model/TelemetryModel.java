package io.isochron.mqtt.model;

import io.isochron.api.IoCategory;
import io.isochron.api.runtime.JitterStats;
import io.isochron.api.runtime.SchedulerState;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The values the appliance publishes, named like the OPC UA paths of ARCHITECTURE.md ("External
 * contracts"): the node's metrics and one group per VM. Values are {@code String}, {@code Double},
 * {@code Long} (unsigned counters), {@code Integer} — the codecs map them to their own types.
 */
public final class TelemetryModel {
    public static final String TELEMETRY_BUFFERED = "Telemetry/Buffered";
    public static final String TELEMETRY_DROPPED = "Telemetry/Dropped";
    public static final String TELEMETRY_CORRUPT = "Telemetry/Corrupt";

    private TelemetryModel() {}

    /** One snapshot of everything: the node's metrics and, per VM in order, its metrics. */
    public record Values(long timestampMillis, Map<String, Object> node, Map<String, Map<String, Object>> vms) {
        /**
         * What makes a publication due before the interval is up: the things an operator acts on
         * (policy, health, the set of VMs and vCPUs, their categories). Counters, utilisations and
         * vCPU run states change every millisecond and go out at the publishing interval.
         */
        public List<Object> discreteKey() {
            List<Object> key = new ArrayList<>();
            for (String name : new String[] {"Scheduler/ActivePolicy", "Scheduler/OverlapPercent", "Health"}) {
                key.add(node.get(name));
            }
            vms.forEach((vm, m) -> {
                key.add(vm);
                m.forEach((name, value) -> {
                    if (name.endsWith("/Category")) {
                        key.add(name);
                        key.add(value);
                    }
                });
            });
            return key;
        }
    }

    /**
     * @param buffered messages waiting in the store-and-forward buffer
     * @param dropped messages dropped because the buffer was full, since it was created
     * @param corrupt buffered messages lost to damaged or missing records, since it was created
     */
    public static Values of(SchedulerState s, List<JitterStats> jitter, long buffered, long dropped, long corrupt) {
        Map<String, Object> node = new LinkedHashMap<>();
        node.put("Scheduler/ActivePolicy", s.policy());
        node.put("Scheduler/OverlapPercent", s.overlapPercent());
        node.put("Scheduler/DecisionCount", s.decisionCount());
        node.put("Scheduler/DecisionLatencyP99", s.decisionLatencyP99Micros());
        node.put("Health", s.health().name());
        for (SchedulerState.Pcpu p : s.pcpus()) {
            String prefix = "PhysicalCpus/Cpu" + p.index() + "/";
            node.put(prefix + "RunningVcpu", p.runningVcpu());
            node.put(prefix + "Category", p.runningVcpu().isEmpty() ? "" : p.category().name());
            node.put(prefix + "Utilization", p.utilizationPercent());
        }
        for (SchedulerState.Component c : s.components()) {
            String prefix = "IoComponents/" + c.category().name() + "/";
            node.put(prefix + "Utilization", c.utilizationPercent());
            node.put(prefix + "Peak", c.peakPercent());
            node.put(prefix + "OverloadSeconds", c.overloadSeconds());
        }
        Map<String, Map<String, Object>> vms = new LinkedHashMap<>();
        for (SchedulerState.Vcpu v : s.vcpus()) {
            Map<String, Object> m = vms.computeIfAbsent(v.vm(), k -> new LinkedHashMap<>());
            String prefix = "Vcpu" + v.index() + "/";
            m.put(prefix + "Category", Objects.requireNonNullElse(v.category(), IoCategory.NONE).name());
            m.put(prefix + "State", v.state().name());
            m.put(prefix + "PhysicalCpu", v.pcpu());
            m.put(prefix + "IoUtilization", v.ioPercent());
        }
        for (JitterStats j : jitter) {
            if (JitterStats.HOST.equals(j.source())) {
                putJitter(node, "Jitter/Host/", j);
            } else if (vms.containsKey(j.source())) {
                putJitter(vms.get(j.source()), "Jitter/", j);
            }
        }
        node.put(TELEMETRY_BUFFERED, buffered);
        node.put(TELEMETRY_DROPPED, dropped);
        node.put(TELEMETRY_CORRUPT, corrupt);
        return new Values(s.timestampMillis(), node, vms);
    }

    private static void putJitter(Map<String, Object> m, String prefix, JitterStats j) {
        m.put(prefix + "Min", j.minMicros());
        m.put(prefix + "Avg", j.avgMicros());
        m.put(prefix + "Max", j.maxMicros());
        m.put(prefix + "P99", j.p99Micros());
        m.put(prefix + "Samples", j.samples());
        m.put(prefix + "Overruns", j.overruns());
    }
}
