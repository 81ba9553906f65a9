package io.isochron.analysis;

import java.math.BigDecimal;

/**
 * Times are exact integer nanoseconds; users write milliseconds. Integers keep every comparison of
 * demand and supply exact, so "Q is enough and Q - 1 ns is not" is a statement that can be tested.
 */
public final class Time {
    public static final long NANOS_PER_MS = 1_000_000;
    /** Largest accepted time, 1000 s: keeps every product in the analysis far from overflow. */
    public static final long MAX_NANOS = 1000 * 1000 * NANOS_PER_MS;

    private Time() {}

    /**
     * Milliseconds written in decimal to nanoseconds.
     *
     * @throws NumberFormatException if the text is not a decimal number or is finer than 1 ns
     */
    public static long parseMillis(String text) {
        BigDecimal ms = new BigDecimal(text.trim());
        BigDecimal ns = ms.movePointRight(6);
        if (ns.stripTrailingZeros().scale() > 0) {
            throw new NumberFormatException("finer than 1 ns: " + text);
        }
        if (ns.abs().compareTo(BigDecimal.valueOf(MAX_NANOS)) > 0) {
            throw new NumberFormatException("larger than " + formatMillis(MAX_NANOS) + " ms: " + text);
        }
        return ns.longValueExact();
    }

    /** Nanoseconds as milliseconds without trailing zeros, e.g. 1500000 as "1.5". */
    public static String formatMillis(long nanos) {
        return BigDecimal.valueOf(nanos).movePointLeft(6).stripTrailingZeros().toPlainString();
    }

    public static double toMillis(long nanos) {
        return nanos / (double) NANOS_PER_MS;
    }
}
