package io.isochron.sim.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.isochron.api.IoCategory;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ScenarioLoaderTest {
    private static final String GOOD = """
            name: demo
            pcpus: 2
            vms:
              - name: plc
                vcpus:
                  - periodic: {period: 1, cpu: 0.25, count: 4, category: BUS, util: 30, deadline: 0.5}
                  - jobs:
                      - {at: 0, cpu: 2, io: {RAM: 20, CACHE: 10}}
                      - {at: 1.5, cpu: 1}
                    period: 5
              - name: hmi
                vcpus:
                  - jobs: [{at: 3, cpu: 2, category: GPU, util: 60, deadline: 4}]
            """;

    @Test
    void readsPeriodicAndListedJobsInMilliseconds() throws Exception {
        Scenario s = ScenarioLoader.parse("demo.yaml", GOOD);
        assertThat(s.pcpus()).isEqualTo(2);
        assertThat(s.vcpuCount()).isEqualTo(3);
        assertThat(s.jobCount()).isEqualTo(7);
        VcpuSpec periodic = s.vms().get(0).vcpus().get(0);
        assertThat(periodic.periodNanos()).isEqualTo(1_000_000);
        assertThat(periodic.jobs()).extracting(Job::arrivalNanos).containsExactly(0L, 1_000_000L, 2_000_000L, 3_000_000L);
        assertThat(periodic.jobs().get(0).relativeDeadlineNanos()).isEqualTo(500_000);
        assertThat(periodic.jobs().get(0).mainCategory()).isEqualTo(IoCategory.BUS);
        VcpuSpec listed = s.vms().get(0).vcpus().get(1);
        assertThat(listed.periodNanos()).isEqualTo(5_000_000);
        assertThat(listed.jobs().get(0).ioPercent(IoCategory.RAM.ordinal())).isEqualTo(20.0);
        assertThat(listed.jobs().get(1).mainCategory()).isEqualTo(IoCategory.NONE);
        assertThat(s.vms().get(1).vcpus().get(0).jobs().get(0).relativeDeadlineNanos()).isEqualTo(4_000_000);
    }

    @Test
    void unitsScaleEveryTime() throws Exception {
        Scenario s = ScenarioLoader.parse("us.yaml", "name: u\nunit: us\npcpus: 1\nvms: [{name: a, vcpus: [{jobs: [{at: 10, cpu: 5}]}]}]\n");
        Job j = s.vms().get(0).vcpus().get(0).jobs().get(0);
        assertThat(j.arrivalNanos()).isEqualTo(10_000);
        assertThat(j.cpuNanos()).isEqualTo(5_000);
    }

    private static void assertError(String yaml, int line, String reason) {
        assertThatThrownBy(() -> ScenarioLoader.parse("bad.yaml", yaml))
                .isInstanceOf(ScenarioException.class)
                .hasMessage("bad.yaml" + (line > 0 ? ":" + line : "") + ": " + reason)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void errorsNameFileLineAndWhatIsAllowed() {
        assertError(GOOD.replace("category: GPU", "category: DISK"), 13,
                "unknown category 'DISK' (allowed: GPU, RAM, CACHE, ETHERNET, BUS, STORAGE, NONE)");
        assertError(GOOD.replace("{at: 1.5, cpu: 1}", "{at: -1.5, cpu: 1}"), 9, "at must be >= 0, got -1.5");
        assertError(GOOD.replace("{at: 1.5, cpu: 1}", "{at: 1.5}"), 9, "job is missing required key 'cpu'");
        assertError(GOOD.replace("pcpus: 2\n", ""), 1, "scenario is missing required key 'pcpus'");
        assertError(GOOD.replace("pcpus: 2", "pcpus: zero"), 2, "pcpus must be a whole number, got 'zero'");
        assertError(GOOD.replace("util: 60", "util: 160"), 13, "util must be within 0..100 %, got 160.0");
        assertError(GOOD.replace("category: GPU, util: 60,", "category: GPU,"), 13,
                "category GPU needs 'util' (its utilisation in percent, 0..100)");
        assertError(GOOD.replace("count: 4", "count: 4, colour: red"), 6,
                "unknown key 'colour' in periodic (allowed: category, count, cpu, deadline, io, offset, period, util)");
        assertError(GOOD.replace("{at: 0, cpu: 2,", "{at: 2, cpu: 2,"), 9,
                "jobs must be listed in arrival order ('at' 1.5 comes after 2.0)");
        assertError(GOOD.replace("name: hmi", "name: plc"), 11, "duplicate VM name 'plc'");
        assertError(GOOD.replace("deadline: 0.5", "deadline: 2"), 6,
                "deadline 2.0 exceeds period 1.0 (constrained deadlines only: deadline <= period)");
        assertError("name: x\npcpus: 1\nvms: [\n", 4, "not valid YAML: expected the node content, but found '<stream end>'");
        assertError("", 0, "empty scenario file");
    }

    @Test
    void missingFileIsReportedWithoutLine() {
        assertThatThrownBy(() -> ScenarioLoader.load(Path.of("no/such/file.yaml")))
                .hasMessageStartingWith("no/such/file.yaml: cannot read scenario");
    }

    @Test
    void shippedPaperScenarioLoads() throws Exception {
        Scenario s = ScenarioLoader.load(Path.of("../../scenarios/paper-example.yaml"));
        assertThat(s.name()).isEqualTo("paper-example");
        assertThat(s.vms()).extracting(VmSpec::name).containsExactly("plc", "hmi", "analytics", "gateway");
    }
}
