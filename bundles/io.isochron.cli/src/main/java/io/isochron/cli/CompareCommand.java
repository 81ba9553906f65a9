package io.isochron.cli;

import io.isochron.api.scheduling.Placement;
import io.isochron.sim.engine.SimulationResult;
import io.isochron.sim.engine.Simulator;
import io.isochron.sim.scenario.Scenario;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "compare", mixinStandardHelpOptions = true,
        description = "Simulate a scenario under several policies; print one table and write one report.")
final class CompareCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ScenarioRun run;

    @Option(names = "--policies", defaultValue = "shortest-queue,interference-aware,edf-refinement",
            description = "Comma-separated name[:overlap] list (default: ${DEFAULT-VALUE})")
    String policies;

    @Option(names = "--out", defaultValue = "isochron-report", description = "Report directory (default: ${DEFAULT-VALUE})")
    Path out;

    @Override
    public Integer call() throws IOException {
        List<Placement> placements = PolicySpec.parseList(policies, run.overlap);
        Scenario sc = run.load();
        List<SimulationResult> results = new ArrayList<>();
        for (Placement p : placements) {
            results.add(Simulator.run(sc, p, true));
        }
        run.publish(sc, results, out, spec.commandLine().getOut(), spec.commandLine().getErr());
        return 0;
    }
}
