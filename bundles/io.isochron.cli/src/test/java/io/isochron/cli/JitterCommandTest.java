package io.isochron.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Runs the real native probe for fractions of a second. */
class JitterCommandTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @TempDir
    Path dir;

    private int run(String... args) {
        return IsochronCommand.execute(args, new PrintWriter(out), new PrintWriter(err));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--interval-us=50|--interval-us must be within 100..10000, got 50",
        "--duration=0|--duration must be within 0.1..86400 s, got 0.0",
        "--priority=100|--priority must be within 0..99 (0: SCHED_OTHER), got 100",
        "--cpu=4096|--cpu must be a CPU of this host",
        "--interval-us=abc|Invalid value for option '--interval-us'"})
    void badInputExitsTwoWithOneLine(String option, String reason) {
        assertThat(run("jitter", option)).isEqualTo(2);
        assertThat(err.toString()).startsWith("isochron: ").contains(reason);
        assertThat(err.toString().lines()).hasSize(1);
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void jsonSummaryAndChartOfARealRun() throws Exception {
        long started = System.nanoTime();
        assertThat(run("jitter", "--duration", "0.5", "--interval-us", "500", "--out", dir.toString(), "--json"))
                .as("stderr: %s", err).isZero();
        long cycles = (System.nanoTime() - started) / 500_000;
        JsonNode r = Output.JSON.readTree(out.toString());
        assertThat(r.get("samples").asLong()).isBetween(400L, cycles);
        assertThat(r.get("intervalMicros").asLong()).isEqualTo(500);
        if ("root".equals(System.getProperty("user.name"))) {
            assertThat(r.get("policy").asText()).isEqualTo("SCHED_FIFO");
            assertThat(r.get("priority").asInt()).isEqualTo(80);
            assertThat(r.get("degraded").asText()).isEmpty();
        }
        double min = r.get("minMicros").asDouble();
        double p99 = r.get("p99Micros").asDouble();
        double max = r.get("maxMicros").asDouble();
        assertThat(min).isLessThanOrEqualTo(r.get("avgMicros").asDouble()).isLessThanOrEqualTo(max);
        assertThat(p99).isBetween(min, r.get("p999Micros").asDouble());
        assertThat(r.get("p99PercentOfCycle").asDouble()).isEqualTo(p99 / 5);
        assertThat(r.get("probeCpuPercent").asDouble()).isBetween(0.0, 100.0);
        Path chart = dir.resolve(JitterCommand.CHART);
        assertThat(r.get("chart").asText()).isEqualTo(chart.toString());
        String svg = Files.readString(chart);
        DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(new ByteArrayInputStream(svg.getBytes("UTF-8")));
        assertThat(svg).contains(r.get("samples").asLong() + " samples, ");
    }

    @Test
    void textSummaryLooksLikeCyclictests() {
        assertThat(run("jitter", "--duration", "0.2", "--priority", "0")).isZero();
        assertThat(out.toString()).containsPattern("^T: 0 \\( *\\d+\\) P: 0 I:1000 C: +\\d+ Min: +\\d+ Avg: +\\d+ Max: +\\d+\\n")
                .contains("policy SCHED_OTHER, cycle 1000 µs, 0.2 s")
                .containsPattern("p99 +\\d+\\.\\d +\\d+\\.\\d\\d\\n").containsPattern("overruns +\\d+\\n")
                .doesNotContain("histogram ");
    }
}
