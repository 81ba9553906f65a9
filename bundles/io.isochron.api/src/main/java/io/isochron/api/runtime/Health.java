package io.isochron.api.runtime;

/** Device health in the style of NAMUR NE 107 / OPC UA DI DeviceHealthEnumeration. */
public enum Health {
    /** Deciding with the configured policy. */
    NORMAL,
    /** Not deciding: no hypervisor bridge, or the bridge failed. */
    FAILURE,
    /** A configuration was rejected; the last good one is in force. Check the log. */
    CHECK_FUNCTION,
    /** Deciding, but not as configured: the configured policy's service is gone, fallback active. */
    OFF_SPEC,
    /** Deciding, but the bridge failed to apply some decisions recently (e.g. the kernel refused). */
    MAINTENANCE_REQUIRED
}
