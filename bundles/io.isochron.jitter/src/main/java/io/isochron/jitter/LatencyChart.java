package io.isochron.jitter;

import java.util.Locale;

/**
 * A latency histogram as a self-contained SVG, drawn the way the OSADL latency plots are: latency in
 * µs on a linear x axis, the number of samples per 1 µs bucket on a logarithmic y axis (so a single
 * outlier is as visible as the bulk), as a step line. The overflow bucket is written in the legend.
 */
public final class LatencyChart {
    static final double WIDTH = 900;
    static final double HEIGHT = 480;
    static final double LEFT = 80;
    static final double RIGHT = 24;
    static final double TOP = 60;
    static final double BOTTOM = 56;
    /** The y axis starts half a decade below 1, so that a bucket with one sample stands out from the empty ones. */
    static final double BELOW_ONE = 0.5;
    private static final String FONT = "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\"";

    private LatencyChart() {}

    /**
     * @param histogram counts per 1 µs bucket; the last entry counts latencies beyond the buckets
     * @param title first line of the chart, e.g. the host and the command
     */
    public static String svg(long[] histogram, String title, String subtitle) {
        if (histogram.length < 2) {
            throw new IllegalArgumentException("histogram needs at least one bucket and the overflow entry");
        }
        int buckets = histogram.length - 1;
        int last = -1;
        long peak = 0;
        for (int i = 0; i < buckets; i++) {
            if (histogram[i] < 0) {
                throw new IllegalArgumentException("bucket " + i + " holds a negative count " + histogram[i]);
            }
            if (histogram[i] > 0) {
                last = i;
                peak = Math.max(peak, histogram[i]);
            }
        }
        long overflow = histogram[buckets];
        // x runs one bucket past the last non-empty one, at least to 10 µs, rounded to a tick step.
        int xMax = niceCeiling(Math.max(10, last + 2));
        int decades = Math.max(1, (int) Math.ceil(Math.log10(Math.max(10, peak))));
        double plotW = WIDTH - LEFT - RIGHT;
        double plotH = HEIGHT - TOP - BOTTOM;

        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
                + "viewBox=\"0 0 %.0f %.0f\" %s font-size=\"12\">%n", WIDTH, HEIGHT, WIDTH, HEIGHT, FONT));
        b.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        b.append(String.format(Locale.ROOT, "<text x=\"%.0f\" y=\"24\" font-size=\"16\">%s</text>%n", LEFT, escape(title)));
        b.append(String.format(Locale.ROOT, "<text x=\"%.0f\" y=\"44\" fill=\"#555\">%s</text>%n", LEFT, escape(subtitle)));

        // Horizontal grid: one line per decade of counts.
        for (int d = 0; d <= decades; d++) {
            double y = y(Math.pow(10, d), decades, plotH);
            b.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e2e2e2\"/>%n",
                    LEFT, y, LEFT + plotW, y));
            b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n", LEFT - 6, y + 4,
                    d == 0 ? "1" : "10^" + d));
        }
        int step = tickStep(xMax);
        for (int x = 0; x <= xMax; x += step) {
            double px = LEFT + plotW * x / xMax;
            b.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e2e2e2\"/>%n",
                    px, TOP, px, TOP + plotH));
            b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%d</text>%n", px,
                    TOP + plotH + 16, x));
        }
        b.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#333\"/>%n",
                LEFT, TOP, plotW, plotH));
        b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">latency (µs)</text>%n",
                LEFT + plotW / 2, HEIGHT - 14));
        b.append(String.format(Locale.ROOT, "<text x=\"18\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 18 %.1f)\">"
                + "samples (log scale)</text>%n", TOP + plotH / 2, TOP + plotH / 2));

        // Step line over the buckets; an empty bucket sits on the axis (log of 0 has no place).
        StringBuilder path = new StringBuilder();
        for (int i = 0; i <= Math.min(last + 1, buckets - 1); i++) {
            double y = y(histogram[i], decades, plotH);
            double x0 = LEFT + plotW * i / xMax;
            double x1 = LEFT + plotW * (i + 1) / xMax;
            path.append(path.length() == 0 ? String.format(Locale.ROOT, "M%.2f %.2f", x0, TOP + plotH) : "");
            path.append(String.format(Locale.ROOT, " L%.2f %.2f L%.2f %.2f", x0, y, x1, y));
        }
        if (path.length() > 0) {
            b.append("<path class=\"latency\" d=\"").append(path).append("\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\"/>\n");
        }
        long total = overflow;
        for (int i = 0; i < buckets; i++) {
            total += histogram[i];
        }
        b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" fill=\"#333\">%d samples, "
                + "%d above %d µs (not drawn)</text>%n", LEFT + plotW - 6, TOP + 16, total, overflow, buckets));
        b.append("</svg>\n");
        return b.toString();
    }

    /** Vertical position of a count; an empty bucket sits on the axis. */
    static double y(double count, int decades, double plotH) {
        double bottom = TOP + plotH;
        return count <= 0 ? bottom : bottom - plotH * (Math.log10(count) + BELOW_ONE) / (decades + BELOW_ONE);
    }

    static int niceCeiling(int v) {
        int step = tickStep(v);
        return (v + step - 1) / step * step;
    }

    /** About 5–10 ticks: 1, 2 or 5 times a power of ten. */
    static int tickStep(int range) {
        int step = 1;
        while (range / step > 10) {
            if (range / (step * 2) <= 10) {
                return step * 2;
            }
            if (range / (step * 5) <= 10) {
                return step * 5;
            }
            step *= 10;
        }
        return step;
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
