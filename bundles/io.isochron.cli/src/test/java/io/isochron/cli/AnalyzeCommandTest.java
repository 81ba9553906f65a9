package io.isochron.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AnalyzeCommandTest {
    private static final String PLC = "../../scenarios/tasksets/plc-cell.yaml";
    private static final String EDGE = "../../scenarios/tasksets/edge-cell.yaml";
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return IsochronCommand.execute(args, new PrintWriter(out), new PrintWriter(err));
    }

    @Test
    void printsThePartitionWithExactAndRoundedBudgets() {
        assertThat(run("analyze", PLC, "--period", "0.5")).isZero();
        assertThat(out.toString())
                .startsWith(PLC + ": 7 tasks, utilisation 0.8200 on 1 vCPU; scheduler edf, heuristic min-bandwidth, "
                        + "period 0.5 ms, granularity 0.01 ms")
                .containsPattern("(?m)^0 +0\\.8200 +0\\.5 +0\\.410448 +0\\.42 +0\\.8400  fieldbus-io, motion, pid-loop, safety, "
                        + "hmi-sync, logging, diagnostics$")
                .containsPattern("(?m)^total +0\\.8200 +0\\.8400$");
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void jsonHasOneEntryPerVcpuAndTheTotal() throws Exception {
        assertThat(run("analyze", EDGE, "--vcpus", "3", "--heuristic", "wfd", "--scheduler", "rm",
                "--period-range", "0.2:1", "--granularity", "0.05", "--json")).isZero();
        JsonNode r = Output.JSON.readTree(out.toString());
        assertThat(r.get("scheduler").asText()).isEqualTo("rm");
        assertThat(r.get("heuristic").asText()).isEqualTo("wfd");
        assertThat(r.get("tasks").asInt()).isEqualTo(8);
        assertThat(r.get("periodFromMs").asDouble()).isEqualTo(0.2);
        assertThat(r.get("periodToMs").asDouble()).isEqualTo(1.0);
        JsonNode partition = r.get("partition");
        assertThat(partition).hasSize(3);
        double total = 0;
        int tasks = 0;
        for (JsonNode v : partition) {
            double p = v.get("periodMs").asDouble();
            double q = v.get("roundedBudgetMs").asDouble();
            assertThat(q).isGreaterThanOrEqualTo(v.get("budgetMs").asDouble()).isLessThanOrEqualTo(p);
            assertThat(v.get("budgetNs").asLong()).isEqualTo(Math.round(v.get("budgetMs").asDouble() * 1e6));
            assertThat(Math.round(q * 1e6) % 50_000).isZero();
            assertThat(v.get("bandwidth").asDouble()).isCloseTo(q / p, within(1e-9))
                    .isGreaterThanOrEqualTo(v.get("utilisation").asDouble());
            total += v.get("bandwidth").asDouble();
            tasks += v.get("tasks").size();
        }
        assertThat(tasks).isEqualTo(8);
        assertThat(r.get("totalBandwidth").asDouble()).isCloseTo(total, within(1e-9));
    }

    @Test
    void theDefaultPeriodIsHalfTheShortestDeadline() throws Exception {
        assertThat(run("analyze", PLC, "--json")).isZero();
        JsonNode r = Output.JSON.readTree(out.toString());
        assertThat(r.get("partition").get(0).get("periodMs").asDouble()).isEqualTo(0.5);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "analyze | Missing required parameter: 'TASKSET'",
        "analyze missing.yaml | task set file not found: missing.yaml",
        "analyze " + PLC + " --scheduler llf | unknown scheduler 'llf' (allowed: edf, rm)",
        "analyze " + PLC + " --heuristic best | unknown heuristic 'best' (allowed: ffd, wfd, min-bandwidth)",
        "analyze " + PLC + " --vcpus 0 | --vcpus must be at least 1, got 0",
        "analyze " + PLC + " --period 1 --period-range 1:2 | --period and --period-range exclude each other",
        "analyze " + PLC + " --period 0.505 | --period 0.505 ms is not a multiple of the granularity 0.01 ms",
        "analyze " + PLC + " --period -1 | --period must be a time in ms > 0",
        "analyze " + PLC + " --period-range 2 | --period-range must be A:B in ms, got '2'",
        "analyze " + PLC + " --period-range 0.501:0.509 | --period-range 0.501:0.509 holds no multiple of the granularity 0.01 ms",
        "analyze " + PLC + " --period-range 0.001:1000 | has 100000 periods to try (allowed: at most 10000",
        "analyze " + PLC + " --granularity 0 | --granularity must be a time in ms > 0",
        "analyze " + EDGE + " | ../../scenarios/tasksets/edge-cell.yaml:3: total utilisation 1.5500 exceeds 1 vCPU (allowed: at most the number of vCPUs)",
    })
    void badInputExitsWithTwoAndOneLine(String args, String reason) {
        assertThat(run(args.trim().split("\\s+"))).isEqualTo(2);
        assertThat(err.toString()).startsWith("isochron: ").contains(reason);
        assertThat(err.toString().strip()).doesNotContain("\n");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void aSetThatCannotBePartitionedIsBadInput(@TempDir Path dir) throws Exception {
        Path set = dir.resolve("three.yaml");
        Files.writeString(set, "tasks:\n  - {name: a, wcet: 6, period: 10}\n"
                + "  - {name: b, wcet: 6, period: 10}\n  - {name: c, wcet: 6, period: 10}\n");
        assertThat(run("analyze", set.toString(), "--vcpus", "2")).isEqualTo(2);
        assertThat(err.toString().strip()).isEqualTo("isochron: no partition fits: task 'c' (utilisation 0.6000) fits on "
                + "none of the 2 vCPUs under edf with heuristic min-bandwidth (vCPU utilisations 0.6000, 0.6000); "
                + "try more vCPUs or another heuristic");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void noCommandListsAnalyze() {
        assertThat(run()).isEqualTo(2);
        assertThat(err.toString()).contains("missing command (allowed: simulate, compare, evaluate, analyze, jitter, check-config)");
    }

    @Test
    void aBadTaskSetNamesFileAndLine(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, "tasks:\n  - {name: a, wcet: 1, period: 4}\n  - {name: b, wcet: 1, period: 4, deadline: 5}\n");
        assertThat(run("analyze", bad.toString())).isEqualTo(2);
        assertThat(err.toString().strip()).isEqualTo("isochron: " + bad + ":3: deadline 5 ms exceeds period 4 ms "
                + "(allowed: deadline <= period)");
    }
}
