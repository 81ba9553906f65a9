package io.isochron.cli;

import io.isochron.api.IoCategory;
import io.isochron.sim.evaluate.Evaluation;
import io.isochron.sim.generate.ScenarioGenerator;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = "Compare a policy with a baseline over many random scenarios per load level.")
final class EvaluateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--scenarios", defaultValue = "1000", description = "Scenarios per load level (default: ${DEFAULT-VALUE})")
    int scenarios;

    @Option(names = "--loads", defaultValue = "0.5,0.7,0.9", description = "Load levels, fractions of total pCPU capacity (default: ${DEFAULT-VALUE})")
    String loads;

    @Option(names = "--baseline", defaultValue = "shortest-queue", description = "Baseline name[:overlap] (default: ${DEFAULT-VALUE})")
    String baseline;

    @Option(names = "--policy", defaultValue = "interference-aware:0", description = "Candidate name[:overlap] (default: ${DEFAULT-VALUE})")
    String policy;

    @Option(names = "--random", defaultValue = "random:pcpus=4,vms=4,vcpus=2,jobs=30,periodic=false",
            description = "Generator shape; load and seed are set per scenario (default: ${DEFAULT-VALUE})")
    String shape;

    @Option(names = "--seed", defaultValue = "1", description = "First seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--json", description = "Print the report as JSON")
    boolean json;

    @Override
    public Integer call() {
        double[] levels;
        try {
            levels = Arrays.stream(loads.split(",")).mapToDouble(s -> Double.parseDouble(s.trim())).toArray();
        } catch (NumberFormatException e) {
            throw new BadInputException("--loads must be comma-separated numbers in (0, 1], got '" + loads + "'");
        }
        ScenarioGenerator.Parameters template = ScenarioSource.randomParameters(shape, seed);
        PolicySpec.parse(baseline, 0);
        PolicySpec.parse(policy, 0);
        Evaluation.Report report = Evaluation.run(template, levels, scenarios, seed,
                () -> PolicySpec.parse(baseline, 0), () -> PolicySpec.parse(policy, 0));
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Output.json(out, report);
            return 0;
        }
        out.printf("%s vs %s, %d scenarios per load (%s)%n", report.candidate(), report.baseline(),
                report.scenariosPerLoad(), report.generator());
        for (Evaluation.LoadResult r : report.loads()) {
            out.printf("%nload %.2f: overload under baseline in %d scenarios, eliminated in %d; candidate overloaded in %d%n",
                    r.load(), r.overloadedScenarios(), r.overloadEliminated(), r.candidateOverloaded());
            out.printf("  makespan ratio p10/p50/p90 %.3f / %.3f / %.3f (worse by >5%%: %d); higher peak somewhere: %d%n",
                    r.makespanRatio().p10(), r.makespanRatio().p50(), r.makespanRatio().p90(), r.worseMakespan(),
                    r.higherPeak());
            out.printf("  mean response time ratio p10/p50/p90 %.3f / %.3f / %.3f, max %.3f%n",
                    r.responseRatio().p10(), r.responseRatio().p50(), r.responseRatio().p90(), r.responseRatio().max());
            out.printf("  %-9s %8s %8s %8s %8s%n", "peak -%", "p10", "p50", "p90", "mean");
            for (Map.Entry<IoCategory, Evaluation.Spread> e : r.peakReductionPercent().entrySet()) {
                Evaluation.Spread s = e.getValue();
                out.printf("  %-9s %8.1f %8.1f %8.1f %8.1f%n", e.getKey(), s.p10(), s.p50(), s.p90(), s.mean());
            }
        }
        return 0;
    }
}
