package io.isochron.sim.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.isochron.api.IoCategory;
import io.isochron.sim.engine.SimulationResult;
import io.isochron.sim.engine.Trace;
import io.isochron.sim.engine.TraceFixtures;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

class ReportWriterTest {

    private static final long MS = 1_000_000L;
    private static final String SVG_NS = "xmlns=\"http://www.w3.org/2000/svg\"";

    @TempDir
    Path tmp;

    private static List<SimulationResult> results() {
        Trace a = TraceFixtures.trace(2)
                .segment(0, 0, 4 * MS, "plc/0", IoCategory.BUS, MS)
                .segment(1, MS, 3 * MS, "hmi/0", IoCategory.GPU, 0)
                .demand(0, 50, 0, 0, 0, 100)
                .demand(3 * MS, 0, 0, 0, 0, 130)
                .build();
        Trace b = TraceFixtures.trace(2)
                .segment(0, 0, 5 * MS, "plc/0", IoCategory.BUS, 2 * MS)
                .demand(0, 0, 0, 0, 0, 100)
                .build();
        return List.of(
                TraceFixtures.result("cell \u2014 line 3", "interference-aware", 25, 2, 4, a),
                TraceFixtures.result("cell \u2014 line 3", "round-robin", 0, 2, 5, b),
                TraceFixtures.result("cell \u2014 line 3", "fifo", 0, 2, 6, null));
    }

    @Test
    void writesChartsJsonAndReport() throws Exception {
        Path dir = tmp.resolve("out/nested");
        Path report = ReportWriter.write(dir, "Line 3 comparison", results());

        assertThat(report).isEqualTo(dir.resolve("report.html")).isRegularFile();
        for (String slug : List.of("interference-aware-o-25", "round-robin", "fifo")) {
            for (String kind : List.of("timeline-", "utilization-")) {
                Path svg = dir.resolve(kind + slug + ".svg");
                assertThat(svg).isRegularFile();
                ChartsTest.parse(Files.readString(svg, StandardCharsets.UTF_8));
            }
        }
        assertThat(Files.readString(dir.resolve("timeline-interference-aware-o-25.svg")))
                .isEqualTo(Charts.timeline(results().get(0), "r0-tl"));
        assertThat(Files.readString(dir.resolve("utilization-fifo.svg"))).contains("trace not recorded");
    }

    @Test
    void resultsJsonListsEveryResultWithoutTrace() throws Exception {
        ReportWriter.write(tmp, "t", results());

        JsonNode json = new ObjectMapper().readTree(tmp.resolve("results.json").toFile());
        assertThat(json.isArray()).isTrue();
        assertThat(json).hasSize(3);
        assertThat(json.get(0).get("policy").asText()).isEqualTo("interference-aware");
        assertThat(json.get(0).get("overlapPercent").asDouble()).isEqualTo(25);
        assertThat(json.get(1).get("makespanMillis").asDouble()).isEqualTo(5);
        assertThat(json.get(0).get("components")).hasSize(IoCategory.COMPONENT_COUNT);
        assertThat(json.get(0).has("trace")).isFalse();
        assertThat(json.get(0).get("scenario").asText()).isEqualTo("cell \u2014 line 3");
        String raw = Files.readString(tmp.resolve("results.json"), StandardCharsets.UTF_8);
        assertThat(raw).contains("\n").contains("\u2014");
        assertThat(raw.lines().count()).isGreaterThan(20);
    }

    @Test
    void htmlIsSelfContainedWithTableAndInlineCharts() throws Exception {
        List<SimulationResult> results = results();
        Path report = ReportWriter.write(tmp, "Line 3 <comparison>", results);
        String html = new String(Files.readAllBytes(report), StandardCharsets.UTF_8);

        assertThat(html).startsWith("<!DOCTYPE html>").contains("<meta charset=\"utf-8\">");
        assertThat(html).contains("<title>Line 3 &lt;comparison&gt;</title>")
                .contains("<h1>Line 3 &lt;comparison&gt;</h1>");
        for (SimulationResult r : results) {
            assertThat(html).contains("<th scope=\"col\">" + r.label() + "</th>");
            assertThat(html).contains("<h2>" + r.label());
        }
        assertThat(html).contains(ComparisonTable.renderHtml(results));
        assertThat(html).contains("\u2014");

        List<String> svgs = inlineSvgs(html);
        assertThat(svgs).hasSize(2 * results.size());
        for (String svg : svgs) {
            Document doc = ChartsTest.parse(svg);
            assertThat(doc).isNotNull();
        }
        assertThat(svgs.get(0)).isEqualTo(Charts.timeline(results.get(0), "r0-tl"));
        assertThat(svgs.get(1)).isEqualTo(Charts.utilization(results.get(0)));
        assertThat(svgs.get(5)).contains("trace not recorded");
        assertThat(html).contains("capacity 100 %");

        assertThat(html.replace(SVG_NS, "")).doesNotContain("http").doesNotContain("<script")
                .doesNotContain("<link").doesNotContain(" src=").doesNotContain("@import");
    }

    @Test
    void patternIdsAreUniqueAcrossInlinedCharts() throws Exception {
        String html = Files.readString(ReportWriter.write(tmp, "t", results()), StandardCharsets.UTF_8);

        Matcher m = Pattern.compile(" id=\"([^\"]+)\"").matcher(html);
        List<String> ids = new ArrayList<>();
        while (m.find()) {
            ids.add(m.group(1));
        }
        assertThat(ids).hasSize(2).doesNotHaveDuplicates();
    }

    @Test
    void emptyResultListStillGivesAReport() throws Exception {
        Path report = ReportWriter.write(tmp, "nothing", List.of());

        assertThat(Files.readString(report)).contains("<h1>nothing</h1>").doesNotContain("<svg");
        assertThat(Files.readString(tmp.resolve("results.json")).trim()).isEqualTo("[ ]");
    }

    @Test
    void slugIsLowerCaseWithDashes() {
        assertThat(ReportWriter.slug("interference-aware (O=25%)")).isEqualTo("interference-aware-o-25");
        assertThat(ReportWriter.slug("FIFO")).isEqualTo("fifo");
        assertThat(ReportWriter.slug("Round Robin / 2ms")).isEqualTo("round-robin-2ms");
        assertThat(ReportWriter.slug("interference-aware (O=12.5%)")).isEqualTo("interference-aware-o-12-5");
        assertThat(ReportWriter.slug("\u00dcber")).isEqualTo("ber");
        assertThat(ReportWriter.slug("%%")).isEqualTo("result");
        assertThat(ReportWriter.slug("")).isEqualTo("result");
    }

    @Test
    void duplicateLabelsGetDistinctFiles() throws Exception {
        SimulationResult one = TraceFixtures.result("a", "fifo", 0, 1, 1, null);
        SimulationResult two = TraceFixtures.result("b", "fifo", 0, 1, 1, null);

        assertThat(ReportWriter.uniqueSlugs(List.of(one, two, one))).containsExactly("fifo", "fifo-2", "fifo-3");
        ReportWriter.write(tmp, "t", List.of(one, two));
        assertThat(tmp.resolve("timeline-fifo.svg")).isRegularFile();
        assertThat(tmp.resolve("timeline-fifo-2.svg")).isRegularFile();
    }

    private static List<String> inlineSvgs(String html) {
        List<String> out = new ArrayList<>();
        int from = 0;
        while (true) {
            int start = html.indexOf("<svg", from);
            if (start < 0) {
                return out;
            }
            int end = html.indexOf("</svg>", start) + "</svg>".length();
            int nl = html.indexOf('\n', end - 1);
            out.add(html.substring(start, Math.min(html.length(), nl + 1)));
            from = end;
        }
    }
}
