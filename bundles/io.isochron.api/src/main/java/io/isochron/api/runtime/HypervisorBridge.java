package io.isochron.api.runtime;

import io.isochron.api.IoCategory;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * The hypervisor side of the scheduler: the simulated hypervisor or the KVM bridge. The scheduler
 * attaches to the active bridge; the bridge then reports vCPU events to the {@link SchedulerSink}
 * and applies the decisions it receives. Decisions carry what the scheduler decided them with (the
 * category its classification unit chose), so a bridge never classifies on its own.
 */
@ConsumerType
public interface HypervisorBridge {
    /** Service property with {@link #name()}. */
    String NAME_PROPERTY = "isochron.bridge.name";

    /** Short name, e.g. {@code sim} or {@code kvm}. */
    String name();

    /** Number of physical CPUs the bridge schedules on. */
    int pcpuCount();

    /** Starts reporting events to {@code sink}. The bridge registers its vCPUs first. */
    void attach(SchedulerSink sink);

    /** Stops reporting events to {@code sink}; returns once no call to it is in progress. */
    void detach(SchedulerSink sink);

    /**
     * Decision: the vCPU that just became ready was classified as {@code category} and queued on
     * {@code pcpu}. Called during {@link SchedulerSink#ready}; the category holds until it is ready again.
     */
    void queued(int pcpu, int vcpuId, IoCategory category);

    /**
     * Decision: {@code vcpuId} runs on {@code pcpu} from now on. Called during {@link SchedulerSink#ready},
     * {@link SchedulerSink#finished} or {@link SchedulerSink#dispatch}.
     */
    void start(int pcpu, int vcpuId);

    /** Decision: {@code vcpuId} stops running on {@code pcpu} before its job is done. */
    void preempt(int pcpu, int vcpuId);

    /**
     * Configuration the bridge could not put in force and works around (e.g. a reservation the kernel
     * refused, so the vCPU runs as an ordinary thread), as one line; empty when there is none. Health
     * {@link Health#CHECK_FUNCTION}. A rejected configuration of the bridge's own PID is reported by
     * its configuration check, not here.
     */
    default String problem() {
        return "";
    }

    /**
     * Decisions the bridge failed to apply recently (e.g. the kernel refused an affinity), as one
     * line with how many; empty when every recent decision is in force. Health
     * {@link Health#MAINTENANCE_REQUIRED}.
     */
    default String fault() {
        return "";
    }

    /**
     * The policy deciding from the next decision on, told on the bridge's thread before the first
     * decision it makes and after every switch; a bridge that enforces in the kernel passes it on.
     */
    default void policyInForce(String policy, double overlapPercent) {}

    /** How the decisions are put in force now; read by telemetry from any thread. */
    default Enforcement enforcement() {
        return new Enforcement(Enforcement.NONE, "", null);
    }
}
