package io.isochron.cli;

import io.isochron.sim.engine.SimulationResult;
import io.isochron.sim.report.ComparisonTable;
import io.isochron.sim.report.ReportWriter;
import io.isochron.sim.scenario.Scenario;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Options and output shared by the commands that simulate one scenario. */
final class ScenarioRun {
    @Parameters(index = "0", paramLabel = "SCENARIO", description = "Scenario YAML file, or " + ScenarioSource.RANDOM_HELP)
    String scenario;

    @Option(names = "--overlap", defaultValue = "0", description = "overlapPercent for interference-aware, 0..100 (default: ${DEFAULT-VALUE})")
    double overlap;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of a random scenario (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--json", description = "Print the metrics as JSON")
    boolean json;

    Scenario load() {
        return ScenarioSource.resolve(scenario, seed);
    }

    /** Prints the results (JSON: one object, or a list for several) and writes the report if asked. */
    void publish(Scenario sc, List<SimulationResult> results, Path reportDir, PrintWriter out, PrintWriter err)
            throws IOException {
        if (json) {
            Output.json(out, results.size() == 1 ? results.get(0) : results);
        } else {
            out.println(sc.name() + ": " + sc.pcpus() + " pCPUs, " + sc.vcpuCount() + " vCPUs, " + sc.jobCount() + " jobs");
            out.print(ComparisonTable.render(results));
        }
        out.flush();
        if (reportDir != null) {
            err.println("report: " + ReportWriter.write(reportDir, sc.name(), results));
        }
    }
}
