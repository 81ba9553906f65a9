package io.isochron.log.internal;

import java.util.Locale;
import java.util.logging.Level;
import org.osgi.service.log.LogLevel;

/** The levels of the appliance's log, and what they are in Java logging and in the OSGi Log Service. */
enum Severity {
    ERROR(Level.SEVERE, LogLevel.ERROR),
    WARN(Level.WARNING, LogLevel.WARN),
    INFO(Level.INFO, LogLevel.INFO),
    DEBUG(Level.FINE, LogLevel.DEBUG),
    TRACE(Level.FINEST, LogLevel.TRACE);

    final Level jul;
    final LogLevel osgi;

    Severity(Level jul, LogLevel osgi) {
        this.jul = jul;
        this.osgi = osgi;
    }

    /** @throws IllegalArgumentException naming the allowed levels */
    static Severity parse(String name) {
        String n = name == null ? "" : name.trim().toUpperCase(Locale.ROOT);
        if (n.equals("WARNING")) {
            return WARN;
        }
        for (Severity s : values()) {
            if (s.name().equals(n)) {
                return s;
            }
        }
        throw new IllegalArgumentException("'" + name + "' is not a level (allowed: ERROR, WARN, INFO, DEBUG, TRACE)");
    }

    static Severity of(Level level) {
        int v = level.intValue();
        return v >= Level.SEVERE.intValue() ? ERROR
                : v >= Level.WARNING.intValue() ? WARN
                : v >= Level.INFO.intValue() ? INFO
                : v >= Level.FINE.intValue() ? DEBUG : TRACE;
    }

    /** AUDIT entries are always written, as the Log Service intends. */
    static Severity of(LogLevel level) {
        return switch (level) {
            case AUDIT, ERROR -> ERROR;
            case WARN -> WARN;
            case INFO -> INFO;
            case DEBUG -> DEBUG;
            case TRACE -> TRACE;
        };
    }

    boolean atLeast(Severity threshold) {
        return ordinal() <= threshold.ordinal();
    }
}
