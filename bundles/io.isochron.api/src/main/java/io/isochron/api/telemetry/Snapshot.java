package io.isochron.api.telemetry;

import io.isochron.api.runtime.Health;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Every point at one instant, the appliance's first, then each VM's in order. */
public record Snapshot(long timestampMillis, List<Point> points) {
    public Snapshot {
        points = List.copyOf(points);
    }

    /** The VMs, in the order of their points. */
    public Set<String> vms() {
        Set<String> vms = new LinkedHashSet<>();
        for (Point p : points) {
            if (p.vm() != null) {
                vms.add(p.vm());
            }
        }
        return vms;
    }

    /** The appliance's values by name, as plain scalars ({@link #scalar}); points without a value left out. */
    public Map<String, Object> nodeValues() {
        return values(null);
    }

    /** One VM's values by name, as plain scalars; points without a value left out. */
    public Map<String, Object> vmValues(String vm) {
        return values(vm);
    }

    private Map<String, Object> values(String vm) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Point p : points) {
            if (java.util.Objects.equals(p.vm(), vm) && p.value() != null) {
                out.put(p.name(), scalar(p));
            }
        }
        return out;
    }

    /**
     * What makes a publication due before its interval is up: the paths and values of the discrete
     * points, and the set of VMs.
     */
    public List<Object> discreteKey() {
        List<Object> key = new ArrayList<>(vms());
        for (Point p : points) {
            if (p.discrete()) {
                key.add(p.path());
                key.add(p.value());
            }
        }
        return key;
    }

    /** A point's value as a plain scalar for text protocols: a {@link Health} as its name. */
    public static Object scalar(Point p) {
        return p.value() instanceof Health h ? h.name() : p.value();
    }
}
