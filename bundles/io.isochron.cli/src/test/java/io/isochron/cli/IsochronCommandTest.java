package io.isochron.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class IsochronCommandTest {
    private static final String PAPER = "../../scenarios/paper-example.yaml";
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return IsochronCommand.execute(args, new PrintWriter(out), new PrintWriter(err));
    }

    @Test
    void compareOnThePaperScenarioPrintsTheTableAndWritesTheReport(@TempDir Path dir) throws Exception {
        int code = run("compare", PAPER, "--out", dir.toString());
        assertThat(code).isZero();
        assertThat(out.toString())
                .contains("paper-example: 4 pCPUs, 6 vCPUs, 18 jobs")
                .contains("shortest-queue", "interference-aware (O=0%)", "edf-refinement")
                .containsPattern("GPU peak %\\s+113\\.00\\s+60\\.00");
        assertThat(dir.resolve("report.html")).exists();
        assertThat(Files.readString(dir.resolve("report.html"))).contains("<svg").contains("paper-example");
        assertThat(dir.resolve("timeline-shortest-queue.svg")).exists();
        assertThat(err.toString()).isEqualTo("report: " + dir.resolve("report.html") + System.lineSeparator());
    }

    @Test
    void jsonIsMachineReadable(@TempDir Path dir) throws Exception {
        assertThat(run("simulate", PAPER, "--policy", "shortest-queue", "--json")).isZero();
        JsonNode result = Output.JSON.readTree(out.toString());
        assertThat(result.get("policy").asText()).isEqualTo("shortest-queue");
        assertThat(result.get("jobs").asLong()).isEqualTo(18);
        assertThat(result.get("components")).hasSize(6);

        out.getBuffer().setLength(0);
        assertThat(run("compare", "random:pcpus=2,vms=2,vcpus=1,jobs=5", "--seed", "3",
                "--policies", "shortest-queue,interference-aware:50", "--json", "--out", dir.toString())).isZero();
        JsonNode list = Output.JSON.readTree(out.toString());
        assertThat(list).hasSize(2);
        assertThat(list.get(1).get("overlapPercent").asDouble()).isEqualTo(50.0);
    }

    @Test
    void randomScenariosAreReproducibleBySeed() {
        run("simulate", "random:jobs=5", "--seed", "11", "--json");
        String first = out.toString();
        out.getBuffer().setLength(0);
        run("simulate", "random:jobs=5", "--seed", "11", "--json");
        assertThat(out.toString()).isEqualTo(first);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "simulate ../../scenarios/paper-example.yaml --policy round-robin | unknown policy 'round-robin' (allowed: shortest-queue, interference-aware, edf-refinement, edf)",
        "simulate ../../scenarios/paper-example.yaml --overlap 101 | overlap must be within 0..100 %, got 101.0",
        "simulate missing.yaml | scenario file not found: missing.yaml",
        "compare random:load=0 | load must be in (0, 1], got 0.0",
        "compare random:cores=4 | bad random scenario parameter 'cores=4'",
        "compare ../../scenarios/paper-example.yaml --policies , | --policies needs at least one policy",
        "simulate | Missing required parameter: 'SCENARIO'",
        "frobnicate | Unmatched argument at index 0: 'frobnicate'",
        "evaluate --loads x | --loads must be comma-separated numbers in (0, 1], got 'x'",
    })
    void badInputExitsWithTwoAndOneLine(String args, String reason) {
        int code = run(args.trim().split("\\s+"));
        assertThat(code).isEqualTo(2);
        String message = err.toString();
        assertThat(message).startsWith("isochron: ").contains(reason);
        assertThat(message.strip()).doesNotContain("\n");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void badScenarioFileNamesFileAndLine(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, "name: x\npcpus: 2\nvms:\n  - name: a\n    vcpus:\n      - jobs: [{at: 0, cpu: 1, category: DISK, util: 5}]\n");
        assertThat(run("simulate", bad.toString())).isEqualTo(2);
        assertThat(err.toString().strip()).isEqualTo("isochron: " + bad + ":6: unknown category 'DISK' "
                + "(allowed: GPU, RAM, CACHE, ETHERNET, BUS, STORAGE, NONE)");
    }

    @Test
    void evaluateSummarisesManyScenarios() throws Exception {
        assertThat(run("evaluate", "--scenarios", "20", "--loads", "0.6,0.9", "--json")).isZero();
        JsonNode report = Output.JSON.readTree(out.toString());
        assertThat(report.get("loads")).hasSize(2);
        JsonNode high = report.get("loads").get(1);
        assertThat(high.get("scenarios").asInt()).isEqualTo(20);
        // Strict separation never overloads a component that the classification sees.
        assertThat(high.get("candidateOverloaded").asInt()).isZero();
        assertThat(high.get("overloadEliminated").asInt()).isEqualTo(high.get("overloadedScenarios").asInt());
    }
}
