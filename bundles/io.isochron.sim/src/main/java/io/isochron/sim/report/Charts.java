package io.isochron.sim.report;

import io.isochron.api.IoCategory;
import io.isochron.sim.engine.SimulationResult;
import io.isochron.sim.engine.Trace;
import io.isochron.sim.engine.Trace.DemandStep;
import io.isochron.sim.engine.Trace.Segment;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Self-contained SVG charts of one simulation run: a per-core Gantt timeline and the demand on
 * each shared component over time. The SVG has no external references and no script.
 */
public final class Charts {

    /** At most this many segments are drawn in a timeline; the chart says when more exist. */
    public static final int MAX_SEGMENTS = 20_000;

    /** Colour of the capacity (100 %) line of the utilisation chart. */
    public static final String CAPACITY_COLOUR = "#d62728";

    static final double WIDTH = 1000;
    static final double LEFT = 70;
    static final double RIGHT = 24;
    static final double PLOT_WIDTH = WIDTH - LEFT - RIGHT;
    static final double TOP = 56;

    static final double ROW_HEIGHT = 26;
    static final double ROW_GAP = 6;

    static final double UTIL_PLOT_HEIGHT = 320;

    private static final String FONT = "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\"";
    private static final String AXIS_COLOUR = "#333333";
    private static final String GRID_COLOUR = "#e2e2e2";
    private static final String IDLE_COLOUR = "#f5f5f5";

    private static final Map<IoCategory, String> PALETTE = new EnumMap<>(IoCategory.class);

    static {
        PALETTE.put(IoCategory.GPU, "#1f77b4");
        PALETTE.put(IoCategory.RAM, "#ff7f0e");
        PALETTE.put(IoCategory.CACHE, "#2ca02c");
        PALETTE.put(IoCategory.ETHERNET, "#9467bd");
        PALETTE.put(IoCategory.BUS, "#8c564b");
        PALETTE.put(IoCategory.STORAGE, "#17becf");
        PALETTE.put(IoCategory.NONE, "#9e9e9e");
    }

    private Charts() {}

    /** @return the fixed colour ({@code #rrggbb}) of a category, grey for {@link IoCategory#NONE} */
    public static String colour(IoCategory category) {
        return PALETTE.get(category == null ? IoCategory.NONE : category);
    }

    /** @return the chart title, {@code scenario — label} */
    public static String title(SimulationResult r) {
        return r.scenario() + " \u2014 " + r.label();
    }

    // ------------------------------------------------------------------------------------------
    // timeline
    // ------------------------------------------------------------------------------------------

    /**
     * A Gantt chart with one row per pCPU: each trace segment is a rectangle coloured by its
     * category, labelled with its vCPU when wide enough; the stalled share of a segment is a
     * hatched overlay at its end. Idle time is the empty row background.
     */
    public static String timeline(SimulationResult r) {
        return timeline(r, "tl");
    }

    /** As {@link #timeline(SimulationResult)}, with a prefix making element ids unique in a page. */
    static String timeline(SimulationResult r, String idPrefix) {
        Trace trace = r.trace();
        if (trace == null) {
            return notRecorded(r);
        }
        List<Segment> all = trace.segments();
        int drawn = Math.min(all.size(), MAX_SEGMENTS);
        List<Segment> segments = all.subList(0, drawn);

        int rows = Math.max(1, Math.max(trace.pcpus(), r.pcpus()));
        long end = nanos(r.makespanMillis());
        for (Segment s : segments) {
            rows = Math.max(rows, s.pcpu() + 1);
            end = Math.max(end, s.endNanos());
        }
        if (end <= 0) {
            end = 1_000_000L;
        }
        double scale = PLOT_WIDTH / end;

        double plotBottom = TOP + rows * (ROW_HEIGHT + ROW_GAP);
        double axisBottom = plotBottom + 40;
        double legendY = axisBottom + 10;
        double height = legendY + 34;
        String hatch = idPrefix + "-stall";

        StringBuilder svg = new StringBuilder(512 + segments.size() * 220);
        open(svg, WIDTH, height, "timeline");
        svg.append("<defs><pattern id=\"").append(hatch)
                .append("\" patternUnits=\"userSpaceOnUse\" width=\"6\" height=\"6\""
                        + " patternTransform=\"rotate(45)\">"
                        + "<rect width=\"6\" height=\"6\" fill=\"#000000\" fill-opacity=\"0.35\"/>"
                        + "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#ffffff\" stroke-width=\"2\""
                        + " stroke-opacity=\"0.7\"/></pattern></defs>\n");
        heading(svg, title(r));

        for (int cpu = 0; cpu < rows; cpu++) {
            double y = rowY(cpu);
            svg.append("<rect class=\"idle\" x=\"").append(Markup.num(LEFT)).append("\" y=\"")
                    .append(Markup.num(y)).append("\" width=\"").append(Markup.num(PLOT_WIDTH))
                    .append("\" height=\"").append(Markup.num(ROW_HEIGHT)).append("\" fill=\"")
                    .append(IDLE_COLOUR).append("\"/>");
            svg.append("<text x=\"").append(Markup.num(LEFT - 8)).append("\" y=\"")
                    .append(Markup.num(y + ROW_HEIGHT / 2 + 4))
                    .append("\" text-anchor=\"end\" font-size=\"12\">CPU ").append(cpu).append("</text>\n");
        }

        timeAxis(svg, end, TOP - 4, plotBottom);

        for (Segment s : segments) {
            drawSegment(svg, s, scale, hatch);
        }

        if (all.isEmpty()) {
            note(svg, LEFT + PLOT_WIDTH / 2, TOP + (plotBottom - TOP) / 2, "no segments recorded");
        }
        if (all.size() > drawn) {
            svg.append("<text class=\"truncated\" x=\"").append(Markup.num(WIDTH - RIGHT))
                    .append("\" y=\"").append(Markup.num(TOP - 22))
                    .append("\" text-anchor=\"end\" font-size=\"11\" fill=\"#b00020\">")
                    .append(Markup.escape(String.format(Locale.ROOT,
                            "showing the first %,d of %,d segments", drawn, all.size())))
                    .append("</text>\n");
        }

        double x = LEFT;
        for (IoCategory c : IoCategory.values()) {
            x = legendSwatch(svg, x, legendY, "fill=\"" + colour(c) + "\"", c.name());
        }
        x = legendHatch(svg, x, legendY, hatch);
        legendSwatch(svg, x, legendY, "fill=\"" + IDLE_COLOUR + "\" stroke=\"#bbbbbb\"", "idle");
        svg.append("</svg>\n");
        return svg.toString();
    }

    private static void drawSegment(StringBuilder svg, Segment s, double scale, String hatch) {
        long start = Math.max(0, s.startNanos());
        long stop = Math.max(start, s.endNanos());
        double x = LEFT + start * scale;
        double w = Math.max(0.5, (stop - start) * scale);
        double y = rowY(s.pcpu());
        String fill = colour(s.category());
        svg.append("<rect class=\"seg\" x=\"").append(Markup.num(x)).append("\" y=\"")
                .append(Markup.num(y)).append("\" width=\"").append(Markup.num(w))
                .append("\" height=\"").append(Markup.num(ROW_HEIGHT)).append("\" fill=\"").append(fill)
                .append("\" stroke=\"#ffffff\" stroke-width=\"0.5\"><title>")
                .append(Markup.escape(segmentTooltip(s))).append("</title></rect>");
        long duration = stop - start;
        if (s.stalledNanos() > 0 && duration > 0) {
            double share = Math.min(1.0, (double) s.stalledNanos() / duration);
            double sw = w * share;
            svg.append("<rect class=\"stall\" x=\"").append(Markup.num(x + w - sw)).append("\" y=\"")
                    .append(Markup.num(y)).append("\" width=\"").append(Markup.num(sw))
                    .append("\" height=\"").append(Markup.num(ROW_HEIGHT)).append("\" fill=\"url(#")
                    .append(hatch).append(")\"/>");
        }
        String name = s.vcpu() == null ? "" : s.vcpu();
        if (!name.isEmpty() && w >= name.length() * 6.4 + 6) {
            svg.append("<text x=\"").append(Markup.num(x + 3)).append("\" y=\"")
                    .append(Markup.num(y + ROW_HEIGHT / 2 + 4)).append("\" font-size=\"10\" fill=\"")
                    .append(textColour(fill)).append("\" pointer-events=\"none\">")
                    .append(Markup.escape(name)).append("</text>");
        }
        svg.append('\n');
    }

    private static String segmentTooltip(Segment s) {
        return String.format(Locale.ROOT, "%s on CPU %d: %.3f\u2013%.3f ms, %s, stalled %.3f ms",
                s.vcpu(), s.pcpu(), s.startNanos() / 1e6, s.endNanos() / 1e6,
                s.category() == null ? IoCategory.NONE : s.category(), s.stalledNanos() / 1e6);
    }

    static double rowY(int pcpu) {
        return TOP + pcpu * (ROW_HEIGHT + ROW_GAP);
    }

    // ------------------------------------------------------------------------------------------
    // utilisation
    // ------------------------------------------------------------------------------------------

    /**
     * Demand on each of the six components over time as step lines, in percent of capacity, with
     * a dashed line at the 100 % capacity. The y axis reaches {@code max(120, peak + 10)}.
     */
    public static String utilization(SimulationResult r) {
        Trace trace = r.trace();
        if (trace == null) {
            return notRecorded(r);
        }
        List<DemandStep> steps = trace.demand();
        double peak = 0;
        long end = nanos(r.makespanMillis());
        for (DemandStep step : steps) {
            for (int i = 0; i < IoCategory.COMPONENT_COUNT && i < step.demandPercent().length; i++) {
                double v = step.demandPercent()[i];
                if (Double.isFinite(v)) {
                    peak = Math.max(peak, v);
                }
            }
        }
        if (end <= 0 && !steps.isEmpty()) {
            end = steps.get(steps.size() - 1).timeNanos();
        }
        if (end <= 0) {
            end = 1_000_000L;
        }
        double yMax = yMax(peak);
        double plotBottom = TOP + UTIL_PLOT_HEIGHT;
        double legendY = plotBottom + 50;
        double height = legendY + 34;

        StringBuilder svg = new StringBuilder(4096);
        open(svg, WIDTH, height, "utilization");
        heading(svg, title(r));
        svg.append("<rect x=\"").append(Markup.num(LEFT)).append("\" y=\"").append(Markup.num(TOP))
                .append("\" width=\"").append(Markup.num(PLOT_WIDTH)).append("\" height=\"")
                .append(Markup.num(UTIL_PLOT_HEIGHT)).append("\" fill=\"#ffffff\" stroke=\"")
                .append(GRID_COLOUR).append("\"/>\n");

        double step = niceStep(yMax, 8);
        for (int i = 0; i <= 1000; i++) {
            double v = i * step;
            if (v > yMax + 1e-9) {
                break;
            }
            double y = utilY(v, yMax);
            svg.append("<line x1=\"").append(Markup.num(LEFT)).append("\" y1=\"").append(Markup.num(y))
                    .append("\" x2=\"").append(Markup.num(LEFT + PLOT_WIDTH)).append("\" y2=\"")
                    .append(Markup.num(y)).append("\" stroke=\"").append(GRID_COLOUR).append("\"/>");
            svg.append("<text x=\"").append(Markup.num(LEFT - 6)).append("\" y=\"")
                    .append(Markup.num(y + 4)).append("\" text-anchor=\"end\" font-size=\"11\">")
                    .append(label(v, step)).append("</text>\n");
        }
        svg.append("<text x=\"16\" y=\"").append(Markup.num(TOP + UTIL_PLOT_HEIGHT / 2))
                .append("\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 16 ")
                .append(Markup.num(TOP + UTIL_PLOT_HEIGHT / 2)).append(")\">demand [%]</text>\n");
        svg.append("<line x1=\"").append(Markup.num(LEFT)).append("\" y1=\"").append(Markup.num(TOP))
                .append("\" x2=\"").append(Markup.num(LEFT)).append("\" y2=\"")
                .append(Markup.num(plotBottom)).append("\" stroke=\"").append(AXIS_COLOUR).append("\"/>\n");
        timeAxis(svg, end, Double.NaN, plotBottom);

        double scale = PLOT_WIDTH / end;
        for (int c = 0; c < IoCategory.COMPONENT_COUNT && !steps.isEmpty(); c++) {
            List<double[]> points = stepLine(steps, c, end, scale, yMax);
            svg.append("<polyline class=\"demand\" data-category=\"")
                    .append(IoCategory.component(c).name()).append("\" fill=\"none\" stroke=\"")
                    .append(colour(IoCategory.component(c)))
                    .append("\" stroke-width=\"1.5\" stroke-linejoin=\"round\" points=\"");
            for (int i = 0; i < points.size(); i++) {
                if (i > 0) {
                    svg.append(' ');
                }
                svg.append(Markup.num(points.get(i)[0])).append(',').append(Markup.num(points.get(i)[1]));
            }
            svg.append("\"/>\n");
        }

        double capY = utilY(100, yMax);
        svg.append("<line class=\"capacity\" x1=\"").append(Markup.num(LEFT)).append("\" y1=\"")
                .append(Markup.num(capY)).append("\" x2=\"").append(Markup.num(LEFT + PLOT_WIDTH))
                .append("\" y2=\"").append(Markup.num(capY)).append("\" stroke=\"").append(CAPACITY_COLOUR)
                .append("\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>");
        svg.append("<text class=\"capacity-label\" x=\"").append(Markup.num(LEFT + PLOT_WIDTH - 4))
                .append("\" y=\"").append(Markup.num(capY - 5)).append("\" text-anchor=\"end\" font-size=\"11\""
                        + " stroke=\"#ffffff\" stroke-width=\"3\" paint-order=\"stroke\" fill=\"")
                .append(CAPACITY_COLOUR).append("\">capacity 100 %</text>\n");

        if (steps.isEmpty()) {
            note(svg, LEFT + PLOT_WIDTH / 2, TOP + UTIL_PLOT_HEIGHT / 2, "no demand recorded");
        }

        double x = LEFT;
        for (int c = 0; c < IoCategory.COMPONENT_COUNT; c++) {
            IoCategory cat = IoCategory.component(c);
            x = legendSwatch(svg, x, legendY, "fill=\"" + colour(cat) + "\"", cat.name());
        }
        svg.append("<line x1=\"").append(Markup.num(x)).append("\" y1=\"").append(Markup.num(legendY + 6))
                .append("\" x2=\"").append(Markup.num(x + 18)).append("\" y2=\"").append(Markup.num(legendY + 6))
                .append("\" stroke=\"").append(CAPACITY_COLOUR).append("\" stroke-width=\"1.5\""
                        + " stroke-dasharray=\"4 3\"/>");
        svg.append("<text x=\"").append(Markup.num(x + 24)).append("\" y=\"").append(Markup.num(legendY + 10))
                .append("\" font-size=\"11\">capacity</text>\n");
        svg.append("</svg>\n");
        return svg.toString();
    }

    /** @return the top of the utilisation y axis for a given peak demand */
    static double yMax(double peakPercent) {
        return Math.max(120, peakPercent + 10);
    }

    /** @return the SVG y coordinate of a percentage in the utilisation chart */
    static double utilY(double percent, double yMax) {
        return TOP + UTIL_PLOT_HEIGHT * (1 - percent / yMax);
    }

    /**
     * The vertices of one component's step line, thinned so that at most a few vertices fall in
     * each half pixel of x: the first, the lowest, the highest and the last. This keeps the drawn
     * shape (the vertical extent in every column) while bounding the size for long traces.
     */
    private static List<double[]> stepLine(List<DemandStep> steps, int c, long end, double scale,
            double yMax) {
        List<double[]> raw = new ArrayList<>();
        DemandStep first = steps.get(0);
        double current = first.timeNanos() <= 0 ? value(first, c) : 0;
        raw.add(new double[] {LEFT, utilY(current, yMax)});
        for (DemandStep step : steps) {
            long t = Math.min(end, Math.max(0, step.timeNanos()));
            double v = value(step, c);
            if (v != current) {
                double x = LEFT + t * scale;
                raw.add(new double[] {x, utilY(current, yMax)});
                raw.add(new double[] {x, utilY(v, yMax)});
                current = v;
            }
        }
        raw.add(new double[] {LEFT + PLOT_WIDTH, utilY(current, yMax)});
        return thin(raw);
    }

    private static List<double[]> thin(List<double[]> raw) {
        List<double[]> out = new ArrayList<>();
        int i = 0;
        while (i < raw.size()) {
            long bucket = Math.round(raw.get(i)[0] * 2);
            int j = i;
            int lo = i;
            int hi = i;
            while (j + 1 < raw.size() && Math.round(raw.get(j + 1)[0] * 2) == bucket) {
                j++;
                if (raw.get(j)[1] < raw.get(lo)[1]) {
                    lo = j;
                }
                if (raw.get(j)[1] > raw.get(hi)[1]) {
                    hi = j;
                }
            }
            int[] keep = {i, Math.min(lo, hi), Math.max(lo, hi), j};
            for (int k : keep) {
                double[] p = raw.get(k);
                double[] last = out.isEmpty() ? null : out.get(out.size() - 1);
                if (last == null || last[0] != p[0] || last[1] != p[1]) {
                    out.add(p);
                }
            }
            i = j + 1;
        }
        return out;
    }

    private static double value(DemandStep step, int c) {
        double[] d = step.demandPercent();
        if (d == null || c >= d.length || !Double.isFinite(d[c])) {
            return 0;
        }
        return Math.max(0, d[c]);
    }

    // ------------------------------------------------------------------------------------------
    // shared pieces
    // ------------------------------------------------------------------------------------------

    private static String notRecorded(SimulationResult r) {
        StringBuilder svg = new StringBuilder(512);
        open(svg, 520, 90, "not-recorded");
        svg.append("<text x=\"12\" y=\"28\" font-size=\"14\" font-weight=\"bold\">")
                .append(Markup.escape(title(r))).append("</text>\n");
        svg.append("<text x=\"12\" y=\"60\" font-size=\"13\" fill=\"#666666\">trace not recorded</text>\n");
        svg.append("</svg>\n");
        return svg.toString();
    }

    private static void open(StringBuilder svg, double width, double height, String kind) {
        svg.append("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"").append(kind)
                .append("\" width=\"").append(Markup.num(width)).append("\" height=\"")
                .append(Markup.num(height)).append("\" viewBox=\"0 0 ").append(Markup.num(width))
                .append(' ').append(Markup.num(height)).append("\" ").append(FONT).append(">\n");
        svg.append("<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n");
    }

    private static void heading(StringBuilder svg, String title) {
        svg.append("<text class=\"title\" x=\"").append(Markup.num(LEFT)).append("\" y=\"24\""
                + " font-size=\"15\" font-weight=\"bold\">").append(Markup.escape(title)).append("</text>\n");
    }

    private static void note(StringBuilder svg, double x, double y, String text) {
        svg.append("<text class=\"note\" x=\"").append(Markup.num(x)).append("\" y=\"").append(Markup.num(y))
                .append("\" text-anchor=\"middle\" font-size=\"13\" fill=\"#666666\">")
                .append(Markup.escape(text)).append("</text>\n");
    }

    /**
     * The time axis along {@code plotBottom}, labelled in milliseconds, with vertical grid lines up
     * to {@code gridTop} (none when NaN).
     */
    private static void timeAxis(StringBuilder svg, long endNanos, double gridTop, double plotBottom) {
        double endMs = endNanos / 1e6;
        double step = niceStep(endMs, 10);
        double scale = PLOT_WIDTH / endMs;
        svg.append("<line x1=\"").append(Markup.num(LEFT)).append("\" y1=\"").append(Markup.num(plotBottom))
                .append("\" x2=\"").append(Markup.num(LEFT + PLOT_WIDTH)).append("\" y2=\"")
                .append(Markup.num(plotBottom)).append("\" stroke=\"").append(AXIS_COLOUR).append("\"/>\n");
        for (int i = 0; i <= 1000; i++) {
            double t = i * step;
            if (t > endMs * (1 + 1e-9)) {
                break;
            }
            double x = LEFT + t * scale;
            if (!Double.isNaN(gridTop)) {
                svg.append("<line x1=\"").append(Markup.num(x)).append("\" y1=\"").append(Markup.num(gridTop))
                        .append("\" x2=\"").append(Markup.num(x)).append("\" y2=\"")
                        .append(Markup.num(plotBottom)).append("\" stroke=\"").append(GRID_COLOUR)
                        .append("\"/>");
            }
            svg.append("<line x1=\"").append(Markup.num(x)).append("\" y1=\"").append(Markup.num(plotBottom))
                    .append("\" x2=\"").append(Markup.num(x)).append("\" y2=\"")
                    .append(Markup.num(plotBottom + 5)).append("\" stroke=\"").append(AXIS_COLOUR).append("\"/>");
            svg.append("<text class=\"tick\" x=\"").append(Markup.num(x)).append("\" y=\"")
                    .append(Markup.num(plotBottom + 18)).append("\" text-anchor=\"middle\" font-size=\"11\">")
                    .append(label(t, step)).append("</text>\n");
        }
        svg.append("<text x=\"").append(Markup.num(LEFT + PLOT_WIDTH / 2)).append("\" y=\"")
                .append(Markup.num(plotBottom + 34)).append("\" text-anchor=\"middle\" font-size=\"12\">"
                        + "time [ms]</text>\n");
    }

    private static double legendSwatch(StringBuilder svg, double x, double y, String paint, String text) {
        svg.append("<rect class=\"legend\" x=\"").append(Markup.num(x)).append("\" y=\"").append(Markup.num(y))
                .append("\" width=\"12\" height=\"12\" ").append(paint).append("/>");
        svg.append("<text x=\"").append(Markup.num(x + 17)).append("\" y=\"").append(Markup.num(y + 10))
                .append("\" font-size=\"11\">").append(Markup.escape(text)).append("</text>\n");
        return x + 17 + text.length() * 7 + 16;
    }

    private static double legendHatch(StringBuilder svg, double x, double y, String hatch) {
        svg.append("<rect class=\"legend\" x=\"").append(Markup.num(x)).append("\" y=\"").append(Markup.num(y))
                .append("\" width=\"12\" height=\"12\" fill=\"").append(colour(IoCategory.NONE)).append("\"/>");
        svg.append("<rect x=\"").append(Markup.num(x)).append("\" y=\"").append(Markup.num(y))
                .append("\" width=\"12\" height=\"12\" fill=\"url(#").append(hatch).append(")\"/>");
        svg.append("<text x=\"").append(Markup.num(x + 17)).append("\" y=\"").append(Markup.num(y + 10))
                .append("\" font-size=\"11\">stalled</text>\n");
        return x + 17 + 7 * 7 + 16;
    }

    /** A step of 1, 2 or 5 times a power of ten giving about {@code target} ticks over range. */
    static double niceStep(double range, int target) {
        if (!(range > 0) || !Double.isFinite(range)) {
            return 1;
        }
        double raw = range / target;
        double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
        double norm = raw / magnitude;
        double nice = norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10;
        return nice * magnitude;
    }

    /** A tick label with just enough decimals for the tick step. */
    private static String label(double value, double step) {
        int decimals = Math.max(0, (int) Math.ceil(-Math.log10(step) - 1e-9));
        return String.format(Locale.ROOT, "%." + Math.min(decimals, 9) + "f", value);
    }

    private static long nanos(double millis) {
        if (!Double.isFinite(millis) || millis <= 0) {
            return 0;
        }
        return Math.round(millis * 1e6);
    }

    /** Black or white, whichever reads better on the given {@code #rrggbb} background. */
    private static String textColour(String background) {
        int rgb = Integer.parseInt(background.substring(1), 16);
        double r = (rgb >> 16) & 0xff;
        double g = (rgb >> 8) & 0xff;
        double b = rgb & 0xff;
        double luminance = (0.299 * r + 0.587 * g + 0.114 * b) / 255;
        return luminance > 0.6 ? "#111111" : "#ffffff";
    }
}
