package io.isochron.api.telemetry;

/** How a point's value is typed on the wire. */
public enum Kind {
    /** {@link String}. */
    STRING,
    /** {@link Double}. */
    DOUBLE,
    /** {@link Integer}. */
    INT32,
    /** {@link Long}, never negative (OPC UA UInt64, Sparkplug UInt64). */
    UINT64,
    /** {@link io.isochron.api.runtime.Health}: an enumeration in OPC UA, its name in MQTT. */
    HEALTH
}
