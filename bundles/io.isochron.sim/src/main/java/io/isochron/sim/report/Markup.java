package io.isochron.sim.report;

import java.util.Locale;

/** Escaping and number formatting shared by the SVG and HTML writers. */
final class Markup {

    private Markup() {}

    /**
     * Escapes text for use in XML/HTML character data and attribute values. Characters that XML
     * 1.0 does not allow at all (most control characters, unpaired surrogates) are dropped.
     */
    static String escape(String text) {
        if (text == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> {
                    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
                        continue;
                    }
                    if (c == 0xFFFE || c == 0xFFFF) {
                        continue;
                    }
                    if (Character.isHighSurrogate(c)) {
                        if (i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                            out.append(c).append(text.charAt(++i));
                        }
                        continue;
                    }
                    if (Character.isLowSurrogate(c)) {
                        continue;
                    }
                    out.append(c);
                }
            }
        }
        return out.toString();
    }

    /** A coordinate with at most two decimals and no exponent, e.g. {@code 12.5}, {@code 3}. */
    static String num(double v) {
        if (!Double.isFinite(v)) {
            return "0";
        }
        double r = Math.round(v * 100.0) / 100.0;
        if (r == Math.rint(r) && Math.abs(r) < 1e15) {
            return Long.toString((long) r);
        }
        if (Math.abs(r) < 1e6) {
            return Double.toString(r);
        }
        return String.format(Locale.ROOT, "%.2f", r);
    }

    /** A metric value with exactly two decimals ({@code 1234.50}); {@code -} when not a number. */
    static String fixed2(double v) {
        if (Double.isNaN(v)) {
            return "-";
        }
        return String.format(Locale.ROOT, "%.2f", v);
    }
}
