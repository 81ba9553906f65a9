package io.isochron.api.telemetry;

/** Engineering unit of an analog point (OPC UA AnalogUnitRangeType, UNECE code). */
public enum Unit {
    /** Not an analog item. */
    NONE(""),
    PERCENT("P1"),
    MICROSECOND("B98");

    private final String unece;

    Unit(String unece) {
        this.unece = unece;
    }

    /** The UNECE Recommendation 20 common code, empty for {@link #NONE}. */
    public String unece() {
        return unece;
    }
}
