package io.isochron.log.internal;

import java.util.Map;
import java.util.TreeMap;

/**
 * The configured levels: one for everything, and per source (a logger name and every name below
 * it, dot-separated), validated from {@link LogConfig}.
 */
record LogLevels(Severity root, Map<String, Severity> bySource) {
    LogLevels {
        bySource = Map.copyOf(bySource);
    }

    /** @throws IllegalArgumentException naming the property, the value and what is allowed */
    static LogLevels from(LogConfig c) {
        Severity root;
        try {
            root = Severity.parse(c.level());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("property 'level' = " + e.getMessage());
        }
        Map<String, Severity> bySource = new TreeMap<>();
        for (String entry : c.levels()) {
            if (entry.isBlank()) {
                continue;
            }
            int eq = entry.indexOf('=');
            String source = eq < 0 ? "" : entry.substring(0, eq).trim();
            if (eq < 0 || source.isEmpty()) {
                throw new IllegalArgumentException("property 'levels': '" + entry + "' is not SOURCE=LEVEL");
            }
            try {
                bySource.put(source, Severity.parse(entry.substring(eq + 1)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("property 'levels': " + source + " = " + e.getMessage());
            }
        }
        return new LogLevels(root, bySource);
    }

    /** The level for {@code source}: that of its nearest configured ancestor, else the root's. */
    Severity of(String source) {
        String name = source == null ? "" : source;
        while (true) {
            Severity s = bySource.get(name);
            if (s != null) {
                return s;
            }
            int dot = name.lastIndexOf('.');
            if (dot < 0) {
                return root;
            }
            name = name.substring(0, dot);
        }
    }

    boolean enabled(String source, Severity severity) {
        return severity.atLeast(of(source));
    }
}
