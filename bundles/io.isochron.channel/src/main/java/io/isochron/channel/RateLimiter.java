package io.isochron.channel;

import java.util.function.LongSupplier;

/**
 * Token bucket for one channel: {@code perSecond} frames per second on average, up to {@code burst}
 * at once. Each channel has its own, so a flooding guest uses up only its own tokens. Not
 * thread-safe (used by the channel's reader thread only); allocation-free.
 */
public final class RateLimiter {
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final int perSecond;
    private final long capacity; // in token-nanos: one frame costs NANOS_PER_SECOND
    private final LongSupplier clock;
    private long credit;
    private long last;

    /**
     * @param perSecond sustained frames per second, 1 .. 1,000,000
     * @param burst frames accepted at once after a quiet period, 1 .. 1,000,000
     * @param clock nanosecond clock, e.g. {@code System::nanoTime}
     */
    public RateLimiter(int perSecond, int burst, LongSupplier clock) {
        if (perSecond < 1 || perSecond > 1_000_000) {
            throw new IllegalArgumentException("rate limit must be 1..1000000 frames/s, got " + perSecond);
        }
        if (burst < 1 || burst > 1_000_000) {
            throw new IllegalArgumentException("rate burst must be 1..1000000 frames, got " + burst);
        }
        this.perSecond = perSecond;
        this.capacity = burst * NANOS_PER_SECOND;
        this.clock = clock;
        this.credit = capacity;
        this.last = clock.getAsLong();
    }

    /** @return true if one more frame may pass now (and takes its token), false if it must be dropped */
    public boolean tryAcquire() {
        long now = clock.getAsLong();
        long elapsed = now - last;
        last = now;
        if (elapsed > 0) {
            // Bounded so that elapsed × rate cannot overflow after a long quiet period.
            long refill = Math.min(elapsed, capacity / perSecond + 1) * perSecond;
            credit = Math.min(capacity, credit + refill);
        }
        if (credit >= NANOS_PER_SECOND) {
            credit -= NANOS_PER_SECOND;
            return true;
        }
        return false;
    }

    public int perSecond() {
        return perSecond;
    }
}
