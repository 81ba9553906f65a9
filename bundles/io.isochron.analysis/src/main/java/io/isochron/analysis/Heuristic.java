package io.isochron.analysis;

import java.util.Arrays;
import java.util.stream.Collectors;

/** How tasks, taken in decreasing utilisation, are placed on vCPUs. */
public enum Heuristic {
    /** First vCPU on which the task still fits. */
    FFD("ffd"),
    /** The least loaded vCPU on which the task fits: spreads the load, leaves room on every vCPU. */
    WFD("wfd"),
    /** The vCPU whose least reservation bandwidth grows the least by taking the task. */
    MIN_BANDWIDTH("min-bandwidth");

    private final String id;

    Heuristic(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public static Heuristic parse(String id) {
        for (Heuristic h : values()) {
            if (h.id.equals(id)) {
                return h;
            }
        }
        throw new IllegalArgumentException("unknown heuristic '" + id + "' (allowed: "
                + Arrays.stream(values()).map(Heuristic::id).collect(Collectors.joining(", ")) + ")");
    }
}
