package io.isochron.api.telemetry;

import java.util.Objects;

/**
 * One published value.
 *
 * @param vm the VM it belongs to (a Sparkplug device), or null for the appliance's own values
 * @param name its name below the VM or the appliance, segments separated by {@code /}
 * @param kind its wire type
 * @param unit its engineering unit ({@link Unit#NONE} for plain values)
 * @param rangeHigh top of its display range (EURange 0..rangeHigh) when it has a unit, else 0
 * @param discrete whether a change is news an operator acts on (policy, overlap, health), published
 *     at once, as opposed to a measurement that changes all the time
 * @param value its value, typed as {@link Kind} says, or null while there is none yet (e.g. jitter
 *     before the first window)
 */
public record Point(String vm, String name, Kind kind, Unit unit, double rangeHigh, boolean discrete, Object value) {
    public Point {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(unit, "unit");
    }

    /** Path below {@code Objects/Isochron}: {@code name}, or {@code VirtualMachines/<vm>/name}. */
    public String path() {
        return vm == null ? name : TelemetryModel.VIRTUAL_MACHINES + "/" + vm + "/" + name;
    }
}
