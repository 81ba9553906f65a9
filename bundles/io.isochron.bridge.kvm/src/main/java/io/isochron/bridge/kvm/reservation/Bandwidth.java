package io.isochron.bridge.kvm.reservation;

import java.math.BigInteger;
import java.util.BitSet;
import java.util.Locale;

/**
 * Bandwidth in the kernel's fixed point: runtime/period scaled by 2^20 and truncated, as
 * {@code to_ratio()} computes it for SCHED_DEADLINE admission. Summing and comparing in the same
 * units makes our verdict agree with the kernel's even at the boundary.
 */
public final class Bandwidth {
    /** The kernel's BW_SHIFT. */
    public static final int SHIFT = 20;
    public static final long ONE = 1L << SHIFT;

    private Bandwidth() {
    }

    /** runtime/period in units of 2^-20, truncated; 0 for a period of 0 (the kernel's convention). */
    public static long ratio(long period, long runtime) {
        if (period <= 0) {
            return 0;
        }
        if (runtime < (1L << (62 - SHIFT))) {
            return (runtime << SHIFT) / period;
        }
        return BigInteger.valueOf(runtime).shiftLeft(SHIFT).divide(BigInteger.valueOf(period)).longValueExact();
    }

    /** A fixed-point bandwidth as a decimal with three places, e.g. {@code 0.200}. */
    public static String format(long bw) {
        return String.format(Locale.ROOT, "%.3f", bw / (double) ONE);
    }

    /** Nanoseconds as milliseconds with three places. */
    public static String millis(long nanos) {
        return String.format(Locale.ROOT, "%.3f", nanos / 1e6);
    }

    /** A CPU set in the kernel's list format, e.g. {@code 0-3,6}. */
    public static String cpuList(BitSet cpus) {
        StringBuilder b = new StringBuilder();
        for (int c = cpus.nextSetBit(0); c >= 0; c = cpus.nextSetBit(c + 1)) {
            int end = cpus.nextClearBit(c) - 1;
            if (b.length() > 0) {
                b.append(',');
            }
            b.append(c);
            if (end > c) {
                b.append('-').append(end);
            }
            c = end;
        }
        return b.toString();
    }
}
