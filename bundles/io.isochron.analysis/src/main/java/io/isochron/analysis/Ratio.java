package io.isochron.analysis;

import java.math.BigInteger;
import java.math.RoundingMode;
import java.math.BigDecimal;

/**
 * An exact fraction. Used where the analysis compares utilisation with bandwidth: near the boundary
 * the two differ by less than a double can resolve.
 */
public record Ratio(BigInteger num, BigInteger den) implements Comparable<Ratio> {
    public static final Ratio ZERO = of(0, 1);

    public Ratio {
        if (den.signum() == 0) {
            throw new ArithmeticException("zero denominator");
        }
        if (den.signum() < 0) {
            num = num.negate();
            den = den.negate();
        }
        BigInteger g = num.gcd(den);
        if (!g.equals(BigInteger.ONE) && g.signum() != 0) {
            num = num.divide(g);
            den = den.divide(g);
        }
    }

    public static Ratio of(long num, long den) {
        return new Ratio(BigInteger.valueOf(num), BigInteger.valueOf(den));
    }

    public Ratio plus(Ratio o) {
        return new Ratio(num.multiply(o.den).add(o.num.multiply(den)), den.multiply(o.den));
    }

    public Ratio minus(Ratio o) {
        return plus(new Ratio(o.num.negate(), o.den));
    }

    public Ratio times(Ratio o) {
        return new Ratio(num.multiply(o.num), den.multiply(o.den));
    }

    public Ratio dividedBy(Ratio o) {
        return new Ratio(num.multiply(o.den), den.multiply(o.num));
    }

    /** The smallest long not below this value; saturates at {@link Long#MAX_VALUE}. */
    public long ceil() {
        BigInteger[] qr = num.divideAndRemainder(den);
        BigInteger c = qr[1].signum() > 0 ? qr[0].add(BigInteger.ONE) : qr[0];
        return c.bitLength() < 64 ? c.longValue() : (c.signum() > 0 ? Long.MAX_VALUE : Long.MIN_VALUE);
    }

    /** The largest long not above this value. */
    public long floor() {
        BigInteger[] qr = num.divideAndRemainder(den);
        return (qr[1].signum() < 0 ? qr[0].subtract(BigInteger.ONE) : qr[0]).longValueExact();
    }

    public double doubleValue() {
        return new BigDecimal(num).divide(new BigDecimal(den), 17, RoundingMode.HALF_EVEN).doubleValue();
    }

    @Override
    public int compareTo(Ratio o) {
        return num.multiply(o.den).compareTo(o.num.multiply(den));
    }
}
