package io.isochron.sim.report;

import io.isochron.api.IoCategory;
import io.isochron.sim.engine.SimulationResult;
import io.isochron.sim.engine.SimulationResult.ComponentMetrics;
import io.isochron.sim.engine.SimulationResult.CoreMetrics;
import io.isochron.sim.engine.SimulationResult.TimeStats;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Simulation results side by side: one column per result (headed by its {@link
 * SimulationResult#label() label}), one row per metric. The same rows back the plain-text table
 * printed by the command line and the HTML table of the report.
 */
public final class ComparisonTable {

    /** Header of the first column, the one naming the metrics. */
    public static final String METRIC_HEADER = "metric";

    /** Shown where a result has no value for a row (e.g. a core it does not have). */
    public static final String MISSING = "-";

    /** One metric across all results: {@code cells.get(i)} is the value for result {@code i}. */
    public record Row(String name, List<String> cells) {
        public Row {
            Objects.requireNonNull(name, "name");
            cells = List.copyOf(cells);
        }
    }

    private ComparisonTable() {}

    /** @return the column headers after the metric column: the results' labels, in order */
    public static List<String> headers(List<SimulationResult> results) {
        List<String> headers = new ArrayList<>(results.size());
        for (SimulationResult r : results) {
            headers.add(r.label());
        }
        return headers;
    }

    /**
     * The table body: overall metrics, then for each of the six components its average, peak and
     * time above capacity, then for each core (over all results) busy, stalled and idle time.
     * Times and percentages carry two decimals; counts are integers.
     */
    public static List<Row> rows(List<SimulationResult> results) {
        List<Row> rows = new ArrayList<>();
        rows.add(row("makespan ms", results, r -> Markup.fixed2(r.makespanMillis())));
        rows.add(row("deadline misses", results, r -> Long.toString(r.deadlineMisses())));
        rows.add(row("jobs", results, r -> Long.toString(r.jobs())));
        rows.add(row("total co-running ms", results, r -> Markup.fixed2(r.totalCoRunningMillis())));
        rows.add(row("stall ms", results, r -> Markup.fixed2(r.stallMillis())));
        rows.add(row("waiting mean ms", results, r -> stat(r.waiting(), TimeStats::meanMillis)));
        rows.add(row("waiting p99 ms", results, r -> stat(r.waiting(), TimeStats::p99Millis)));
        rows.add(row("response mean ms", results, r -> stat(r.response(), TimeStats::meanMillis)));
        rows.add(row("response p99 ms", results, r -> stat(r.response(), TimeStats::p99Millis)));
        for (int i = 0; i < IoCategory.COMPONENT_COUNT; i++) {
            IoCategory c = IoCategory.component(i);
            rows.add(row(c.name() + " avg %", results,
                    r -> component(r, c, ComponentMetrics::averagePercent)));
            rows.add(row(c.name() + " peak %", results,
                    r -> component(r, c, ComponentMetrics::peakPercent)));
            rows.add(row(c.name() + " >100% ms", results,
                    r -> component(r, c, ComponentMetrics::overloadMillis)));
        }
        TreeSet<Integer> cores = new TreeSet<>();
        for (SimulationResult r : results) {
            if (r.cores() != null) {
                for (CoreMetrics m : r.cores()) {
                    cores.add(m.pcpu());
                }
            }
        }
        for (int pcpu : cores) {
            rows.add(row("cpu" + pcpu + " busy ms", results, r -> core(r, pcpu, CoreMetrics::busyMillis)));
            rows.add(row("cpu" + pcpu + " stalled ms", results,
                    r -> core(r, pcpu, CoreMetrics::stalledMillis)));
            rows.add(row("cpu" + pcpu + " idle ms", results, r -> core(r, pcpu, CoreMetrics::idleMillis)));
        }
        return rows;
    }

    /**
     * A fixed-width text table: metric names left-aligned, values right-aligned under each
     * result's label, a dashed rule under the header. Ends with a line separator.
     */
    public static String render(List<SimulationResult> results) {
        List<String> headers = headers(results);
        List<Row> rows = rows(results);
        int[] widths = new int[headers.size() + 1];
        widths[0] = METRIC_HEADER.length();
        for (int i = 0; i < headers.size(); i++) {
            widths[i + 1] = headers.get(i).length();
        }
        for (Row row : rows) {
            widths[0] = Math.max(widths[0], row.name().length());
            for (int i = 0; i < row.cells().size(); i++) {
                widths[i + 1] = Math.max(widths[i + 1], row.cells().get(i).length());
            }
        }
        String nl = System.lineSeparator();
        StringBuilder out = new StringBuilder();
        List<String> headerLine = new ArrayList<>();
        headerLine.add(METRIC_HEADER);
        headerLine.addAll(headers);
        appendLine(out, headerLine, widths);
        out.append(nl);
        int total = widths[0];
        for (int i = 1; i < widths.length; i++) {
            total += 2 + widths[i];
        }
        out.append("-".repeat(total)).append(nl);
        for (Row row : rows) {
            List<String> line = new ArrayList<>();
            line.add(row.name());
            line.addAll(row.cells());
            appendLine(out, line, widths);
            out.append(nl);
        }
        return out.toString();
    }

    /**
     * The same table as an HTML {@code <table class="comparison">} fragment, all text escaped.
     */
    public static String renderHtml(List<SimulationResult> results) {
        StringBuilder out = new StringBuilder();
        out.append("<table class=\"comparison\">\n<thead><tr><th scope=\"col\">")
                .append(Markup.escape(METRIC_HEADER)).append("</th>");
        for (String header : headers(results)) {
            out.append("<th scope=\"col\">").append(Markup.escape(header)).append("</th>");
        }
        out.append("</tr></thead>\n<tbody>\n");
        for (Row row : rows(results)) {
            out.append("<tr><th scope=\"row\">").append(Markup.escape(row.name())).append("</th>");
            for (String cell : row.cells()) {
                out.append("<td>").append(Markup.escape(cell)).append("</td>");
            }
            out.append("</tr>\n");
        }
        out.append("</tbody>\n</table>\n");
        return out.toString();
    }

    private static void appendLine(StringBuilder out, List<String> cells, int[] widths) {
        StringBuilder line = new StringBuilder();
        line.append(cells.get(0)).append(" ".repeat(widths[0] - cells.get(0).length()));
        for (int i = 1; i < cells.size(); i++) {
            String cell = cells.get(i);
            line.append("  ").append(" ".repeat(widths[i] - cell.length())).append(cell);
        }
        int end = line.length();
        while (end > 0 && line.charAt(end - 1) == ' ') {
            end--;
        }
        out.append(line, 0, end);
    }

    private static Row row(String name, List<SimulationResult> results,
            Function<SimulationResult, String> value) {
        List<String> cells = new ArrayList<>(results.size());
        for (SimulationResult r : results) {
            cells.add(value.apply(r));
        }
        return new Row(name, cells);
    }

    private static String stat(TimeStats stats, Function<TimeStats, Double> value) {
        return stats == null ? MISSING : Markup.fixed2(value.apply(stats));
    }

    private static String component(SimulationResult r, IoCategory c,
            Function<ComponentMetrics, Double> value) {
        if (r.components() != null) {
            for (ComponentMetrics m : r.components()) {
                if (m.category() == c) {
                    return Markup.fixed2(value.apply(m));
                }
            }
        }
        return MISSING;
    }

    private static String core(SimulationResult r, int pcpu, Function<CoreMetrics, Double> value) {
        if (r.cores() != null) {
            for (CoreMetrics m : r.cores()) {
                if (m.pcpu() == pcpu) {
                    return Markup.fixed2(value.apply(m));
                }
            }
        }
        return MISSING;
    }
}
