package io.isochron.api.scheduling;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A scheduling policy, registered as a whiteboard service. The scheduler selects the service whose
 * {@link #name()} matches its configuration.
 */
@ConsumerType
public interface SchedulingPolicy {
    /** Service property carrying {@link #name()}, for filters. */
    String NAME_PROPERTY = "isochron.policy.name";

    /** The policy's stable name, e.g. {@code interference-aware}. */
    String name();

    /**
     * Creates an immutable placement for the given overlap.
     *
     * @param overlapPercent allowed co-running of same-category vCPUs in [0, 100]; ignored by
     *     policies without that parameter
     * @throws IllegalArgumentException if {@code overlapPercent} is outside [0, 100]
     */
    Placement configure(double overlapPercent);
}
