package io.isochron.api.runtime;

import io.isochron.api.IoCategory;
import java.util.List;
import java.util.Objects;

/**
 * A consistent snapshot of the scheduler for telemetry. Utilisations are percent averaged over
 * the last complete window (OPC UA {@code Utilization}, docs/architecture.md); peaks and overload time
 * count since the bridge attached.
 */
public record SchedulerState(
        long timestampMillis,
        String bridge,
        String policy,
        double overlapPercent,
        String configuredPolicy,
        long decisionCount,
        double decisionLatencyP99Micros,
        Health health,
        String healthReason,
        List<Pcpu> pcpus,
        List<Vcpu> vcpus,
        List<Component> components,
        Enforcement enforcement) {

    public SchedulerState {
        pcpus = List.copyOf(pcpus);
        vcpus = List.copyOf(vcpus);
        components = List.copyOf(components);
        Objects.requireNonNull(enforcement, "enforcement");
    }

    /** A state without enforcement information ({@link Enforcement#NONE}). */
    public SchedulerState(long timestampMillis, String bridge, String policy, double overlapPercent,
            String configuredPolicy, long decisionCount, double decisionLatencyP99Micros, Health health,
            String healthReason, List<Pcpu> pcpus, List<Vcpu> vcpus, List<Component> components) {
        this(timestampMillis, bridge, policy, overlapPercent, configuredPolicy, decisionCount, decisionLatencyP99Micros,
                health, healthReason, pcpus, vcpus, components, new Enforcement(Enforcement.NONE, "", null));
    }

    /** @param runningVcpu "vm/vcpu", or "" when idle */
    public record Pcpu(int index, String runningVcpu, IoCategory category, double utilizationPercent) {}

    /** @param pcpu the pCPU it runs or is queued on, -1 when not ready */
    public record Vcpu(String vm, int index, IoCategory category, VcpuState state, int pcpu, double ioPercent) {}

    public record Component(IoCategory category, double utilizationPercent, double peakPercent,
            double overloadSeconds) {}

    public enum VcpuState {
        RUNNING,
        READY,
        IDLE
    }
}
