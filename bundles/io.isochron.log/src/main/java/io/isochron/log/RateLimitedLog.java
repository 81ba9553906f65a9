package io.isochron.log;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Logs a recurring fault at most once per interval, with the number of occurrences suppressed in
 * between, so that a fault repeating thousands of times a second cannot flood the log (and a log
 * read at 3 a.m. still says how often it happened). Thread-safe; allocates only when it logs.
 */
public final class RateLimitedLog {
    private final System.Logger log;
    private final long intervalNanos;
    private final LongSupplier clock;
    private long lastLogged;
    private boolean loggedOnce;
    private long suppressed;

    public RateLimitedLog(System.Logger log, Duration interval) {
        this(log, interval.toNanos(), System::nanoTime);
    }

    /** @param clock nanoseconds, monotonic (tests pass their own) */
    public RateLimitedLog(System.Logger log, long intervalNanos, LongSupplier clock) {
        if (intervalNanos <= 0) {
            throw new IllegalArgumentException("interval must be > 0 ns, got " + intervalNanos);
        }
        this.log = log;
        this.intervalNanos = intervalNanos;
        this.clock = clock;
    }

    /** @return true if the message was logged, false if it was counted as suppressed */
    public boolean log(Level level, String message) {
        return log(level, message, null);
    }

    /** Like {@link #log(Level, String)}, with the cause's stack trace when it is logged. */
    public boolean log(Level level, String message, Throwable cause) {
        long count;
        synchronized (this) {
            long now = clock.getAsLong();
            if (loggedOnce && now - lastLogged < intervalNanos) {
                suppressed++;
                return false;
            }
            count = suppressed;
            loggedOnce = true;
            lastLogged = now;
            suppressed = 0;
        }
        String text = count > 0 ? message + " (" + count + " more since the last report)" : message;
        if (cause == null) {
            log.log(level, text);
        } else {
            log.log(level, text, cause);
        }
        return true;
    }

    /** Occurrences counted but not logged since the last line. */
    public synchronized long suppressed() {
        return suppressed;
    }
}
