package io.isochron.bench;

import io.isochron.api.scheduling.Placement;
import io.isochron.scheduler.core.Policies;
import io.isochron.sim.engine.SimulationResult;
import io.isochron.sim.engine.Simulator;
import io.isochron.sim.generate.ScenarioGenerator;
import io.isochron.sim.scenario.Scenario;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;

/**
 * Harness for the simulator's throughput on a one-million-job scenario: simulated events per
 * second of wall time and the peak heap, per policy. Run with a fixed heap so that the peak means
 * something: {@code java -Xms2g -Xmx2g -cp benchmarks/target/benchmarks.jar io.isochron.bench.SimulatorThroughput}.
 */
public final class SimulatorThroughput {
    private SimulatorThroughput() {}

    public static void main(String[] args) {
        int vms = 32;
        int vcpusPerVm = 2;
        int jobsPerVcpu = 1_000_000 / (vms * vcpusPerVm);
        Scenario sc = ScenarioGenerator.generate(new ScenarioGenerator.Parameters(7, 8, vms, vcpusPerVm, 0.8,
                jobsPerVcpu, false));
        System.gc();
        long scenarioHeap = usedHeap();
        System.out.printf("scenario: %d jobs, %d vCPUs, %d pCPUs; heap after generating it: %d MiB%n",
                sc.jobCount(), sc.vcpuCount(), sc.pcpus(), scenarioHeap >> 20);
        String[] policies = args.length > 0 ? args : new String[] {"shortest-queue", "interference-aware", "edf-refinement"};
        for (String name : policies) {
            Placement p = Policies.create(name, 0);
            Simulator.run(sc, p, false); // warm-up
            System.gc();
            resetPeaks();
            long start = System.nanoTime();
            SimulationResult r = Simulator.run(sc, p, false);
            long elapsed = System.nanoTime() - start;
            System.out.printf("%-20s %,d events in %.3f s = %,.0f events/s; %,d jobs; peak heap during run %d MiB%n",
                    name, r.events(), elapsed / 1e9, r.events() / (elapsed / 1e9), r.jobs(), peakHeap() >> 20);
        }
    }

    private static long usedHeap() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static void resetPeaks() {
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                pool.resetPeakUsage();
            }
        }
    }

    private static long peakHeap() {
        long sum = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                sum += pool.getPeakUsage().getUsed();
            }
        }
        return sum;
    }
}
