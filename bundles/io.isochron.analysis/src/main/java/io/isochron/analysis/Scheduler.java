package io.isochron.analysis;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The local scheduler inside one vCPU. */
public enum Scheduler {
    /** Earliest deadline first. */
    EDF,
    /** Fixed priorities in deadline-monotonic order (rate-monotonic when deadlines equal periods). */
    RM;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Scheduler parse(String id) {
        for (Scheduler s : values()) {
            if (s.id().equals(id)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown scheduler '" + id + "' (allowed: "
                + Arrays.stream(values()).map(Scheduler::id).collect(Collectors.joining(", ")) + ")");
    }
}
