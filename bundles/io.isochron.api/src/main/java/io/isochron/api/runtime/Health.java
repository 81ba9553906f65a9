package io.isochron.api.runtime;

/**
 * Device health in the style of NAMUR NE 107 / OPC UA DI DeviceHealthEnumeration. When several
 * apply, the most severe wins in the order FAILURE, CHECK_FUNCTION, OFF_SPEC, MAINTENANCE_REQUIRED
 * (docs/operations.md, "Health").
 */
public enum Health {
    /** Deciding with the configured policy; everything configured is in force. */
    NORMAL,
    /** Not deciding: no hypervisor bridge is attached. */
    FAILURE,
    /**
     * A configuration is not in force: one was rejected (the last good one, or the defaults at boot,
     * stay) or the bridge could not put it in force (e.g. a refused reservation).
     */
    CHECK_FUNCTION,
    /**
     * Deciding, but not as configured: the configured policy's service is gone (fallback active), or
     * the measured jitter is outside its limits.
     */
    OFF_SPEC,
    /** Deciding, but the bridge failed to apply some decisions recently (e.g. the kernel refused). */
    MAINTENANCE_REQUIRED
}
