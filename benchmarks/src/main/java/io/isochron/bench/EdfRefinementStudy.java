package io.isochron.bench;

import io.isochron.scheduler.core.Edf;
import io.isochron.sim.engine.SimulationResult;
import io.isochron.sim.engine.Simulator;
import io.isochron.sim.generate.TaskSetGenerator;
import io.isochron.sim.scenario.Scenario;
import java.util.Random;

/**
 * Plain EDF vs the refinement on generated periodic task sets: how many sets plain EDF schedules,
 * deadline misses of the refinement on those, and the mean same-category co-running time.
 * Usage: {@code java -cp benchmarks/target/benchmarks.jar io.isochron.bench.EdfRefinementStudy [sets] [seed]}
 */
public final class EdfRefinementStudy {
    private EdfRefinementStudy() {}

    public static void main(String[] args) {
        int sets = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        long seed = args.length > 1 ? Long.parseLong(args[1]) : 42;
        Random rnd = new Random(seed);
        int schedulable = 0;
        long refinedMisses = 0;
        double plainCoRun = 0;
        double refinedCoRun = 0;
        for (int i = 0; i < sets; i++) {
            Scenario sc = TaskSetGenerator.constrained(rnd);
            SimulationResult plain = Simulator.run(sc, new Edf(false), false);
            if (plain.deadlineMisses() > 0) {
                continue;
            }
            SimulationResult refined = Simulator.run(sc, new Edf(true), false);
            schedulable++;
            refinedMisses += refined.deadlineMisses();
            plainCoRun += plain.totalCoRunningMillis();
            refinedCoRun += refined.totalCoRunningMillis();
        }
        System.out.printf("%d task sets (seed %d), %d schedulable by plain EDF%n", sets, seed, schedulable);
        System.out.printf("deadline misses of edf-refinement on those: %d%n", refinedMisses);
        System.out.printf("mean same-category co-running per set: edf %.3f ms, edf-refinement %.3f ms (%.1f %% lower)%n",
                plainCoRun / schedulable, refinedCoRun / schedulable, 100 * (1 - refinedCoRun / plainCoRun));
    }
}
