package io.isochron.sim.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.isochron.sim.engine.SimulationResult;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Writes a report directory: per result a timeline and a utilisation SVG, all results as JSON, and
 * one self-contained {@code report.html} (no external resources, no script) with the comparison
 * table and every chart inlined.
 */
public final class ReportWriter {

    /** File name of the HTML report inside the report directory. */
    public static final String REPORT_FILE = "report.html";

    /** File name of the JSON dump of the results inside the report directory. */
    public static final String RESULTS_FILE = "results.json";

    private static final String STYLE = """
            body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 24px; color: #222; }
            h1 { font-size: 22px; }
            h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
            h3 { font-size: 15px; }
            table.comparison { border-collapse: collapse; font-size: 13px; }
            table.comparison th, table.comparison td { border: 1px solid #ddd; padding: 3px 8px; }
            table.comparison thead th { background: #f0f0f0; }
            table.comparison tbody th { text-align: left; font-weight: normal; white-space: nowrap; }
            table.comparison td { text-align: right; font-variant-numeric: tabular-nums; }
            table.comparison tbody tr:nth-child(even) { background: #fafafa; }
            figure { margin: 0 0 16px 0; }
            figure svg { max-width: 100%; height: auto; }
            """;

    private ReportWriter() {}

    /**
     * Writes the report into {@code dir}, creating it if needed and overwriting earlier files of
     * the same names.
     *
     * @return the path of {@code report.html}
     */
    public static Path write(Path dir, String title, List<SimulationResult> results) throws IOException {
        Files.createDirectories(dir);
        List<String> slugs = uniqueSlugs(results);
        List<String> timelines = new ArrayList<>(results.size());
        List<String> utilizations = new ArrayList<>(results.size());
        for (int i = 0; i < results.size(); i++) {
            SimulationResult r = results.get(i);
            String timeline = Charts.timeline(r, "r" + i + "-tl");
            String utilization = Charts.utilization(r);
            Files.writeString(dir.resolve("timeline-" + slugs.get(i) + ".svg"), timeline, StandardCharsets.UTF_8);
            Files.writeString(dir.resolve("utilization-" + slugs.get(i) + ".svg"), utilization,
                    StandardCharsets.UTF_8);
            timelines.add(timeline);
            utilizations.add(utilization);
        }

        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        try (OutputStream out = Files.newOutputStream(dir.resolve(RESULTS_FILE))) {
            mapper.writeValue(out, results);
        }

        Path report = dir.resolve(REPORT_FILE);
        Files.writeString(report, html(title, results, timelines, utilizations), StandardCharsets.UTF_8);
        return report;
    }

    /**
     * A file-name-safe form of a label: lower case, every run of characters other than ASCII
     * letters and digits replaced by one {@code -}, no leading or trailing {@code -};
     * {@code result} when nothing remains.
     */
    public static String slug(String label) {
        String lower = label == null ? "" : label.toLowerCase(Locale.ROOT);
        StringBuilder out = new StringBuilder(lower.length());
        boolean dash = false;
        for (int i = 0; i < lower.length(); i++) {
            char c = lower.charAt(i);
            if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
                if (dash && out.length() > 0) {
                    out.append('-');
                }
                dash = false;
                out.append(c);
            } else {
                dash = true;
            }
        }
        return out.length() == 0 ? "result" : out.toString();
    }

    /** Slugs of the results' labels, made distinct by suffixes {@code -2}, {@code -3} ... */
    static List<String> uniqueSlugs(List<SimulationResult> results) {
        Set<String> used = new HashSet<>();
        List<String> slugs = new ArrayList<>(results.size());
        for (SimulationResult r : results) {
            String base = slug(r.label());
            String slug = base;
            for (int n = 2; !used.add(slug); n++) {
                slug = base + "-" + n;
            }
            slugs.add(slug);
        }
        return slugs;
    }

    private static String html(String title, List<SimulationResult> results, List<String> timelines,
            List<String> utilizations) {
        String heading = Markup.escape(title == null ? "Simulation report" : title);
        StringBuilder html = new StringBuilder(1 << 16);
        html.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>")
                .append(heading).append("</title>\n<style>\n").append(STYLE).append("</style>\n</head>\n<body>\n");
        html.append("<h1>").append(heading).append("</h1>\n");
        html.append("<h2>Comparison</h2>\n");
        html.append(ComparisonTable.renderHtml(results));
        for (int i = 0; i < results.size(); i++) {
            SimulationResult r = results.get(i);
            html.append("<section class=\"result\">\n<h2>").append(Markup.escape(r.label()))
                    .append(" <small>(").append(Markup.escape(r.scenario())).append(")</small></h2>\n");
            html.append("<h3>Timeline</h3>\n<figure>\n").append(timelines.get(i)).append("</figure>\n");
            html.append("<h3>Component demand</h3>\n<figure>\n").append(utilizations.get(i))
                    .append("</figure>\n</section>\n");
        }
        html.append("</body>\n</html>\n");
        return html.toString();
    }
}
