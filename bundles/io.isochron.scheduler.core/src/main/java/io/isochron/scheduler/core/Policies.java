package io.isochron.scheduler.core;

import io.isochron.api.scheduling.Placement;
import java.util.List;

/** The built-in policies by name, for code that runs without a service registry (CLI, simulator). */
public final class Policies {
    /** Names of the built-in policies, the three of the contract first. */
    public static final List<String> NAMES =
            List.of(ShortestQueue.NAME, InterferenceAware.NAME, Edf.REFINED_NAME, Edf.PLAIN_NAME);

    private Policies() {}

    /**
     * @throws IllegalArgumentException naming the bad policy or overlap and the allowed values
     */
    public static Placement create(String name, double overlapPercent) {
        if (!(overlapPercent >= 0 && overlapPercent <= 100)) {
            throw new IllegalArgumentException("overlap must be within 0..100 %, got " + overlapPercent);
        }
        switch (name == null ? "" : name) {
            case ShortestQueue.NAME:
                return new ShortestQueue();
            case InterferenceAware.NAME:
                return new InterferenceAware(overlapPercent);
            case Edf.REFINED_NAME:
                return new Edf(true);
            case Edf.PLAIN_NAME:
                return new Edf(false);
            default:
                throw new IllegalArgumentException(
                        "unknown policy '" + name + "' (allowed: " + String.join(", ", NAMES) + ")");
        }
    }
}
