package io.isochron.cli;

import io.isochron.api.scheduling.Placement;
import io.isochron.sim.engine.Simulator;
import io.isochron.sim.scenario.Scenario;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "simulate", mixinStandardHelpOptions = true,
        description = "Simulate a scenario under one policy and print its metrics.")
final class SimulateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ScenarioRun run;

    @Option(names = "--policy", defaultValue = "interference-aware",
            description = "shortest-queue, interference-aware, edf-refinement or edf (default: ${DEFAULT-VALUE})")
    String policy;

    @Option(names = "--out", description = "Directory for charts (SVG), results.json and report.html")
    Path out;

    @Override
    public Integer call() throws IOException {
        Placement placement = PolicySpec.parse(policy, run.overlap);
        Scenario sc = run.load();
        run.publish(sc, List.of(Simulator.run(sc, placement, out != null)), out,
                spec.commandLine().getOut(), spec.commandLine().getErr());
        return 0;
    }
}
