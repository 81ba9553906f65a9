package io.isochron.scheduler.internal;

import java.lang.System.Logger.Level;
import java.util.function.LongSupplier;

/**
 * Logs a recurring fault at most once per interval, with the number of occurrences suppressed in
 * between, so that a fault repeating thousands of times a second cannot flood the log.
 */
final class RateLimitedLog {
    private final System.Logger log;
    private final long intervalNanos;
    private final LongSupplier clock;
    private long lastLogged = Long.MIN_VALUE;
    private long suppressed;

    RateLimitedLog(System.Logger log, long intervalNanos, LongSupplier clock) {
        this.log = log;
        this.intervalNanos = intervalNanos;
        this.clock = clock;
    }

    /** @return true if the message was logged, false if it was counted as suppressed */
    boolean log(Level level, String message) {
        long now = clock.getAsLong();
        if (lastLogged != Long.MIN_VALUE && now - lastLogged < intervalNanos) {
            suppressed++;
            return false;
        }
        String text = suppressed > 0 ? message + " (" + suppressed + " more since the last report)" : message;
        lastLogged = now;
        suppressed = 0;
        log.log(level, text);
        return true;
    }
}
