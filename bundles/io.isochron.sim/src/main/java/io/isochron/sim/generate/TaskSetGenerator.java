package io.isochron.sim.generate;

import io.isochron.api.IoCategory;
import io.isochron.sim.scenario.Job;
import io.isochron.sim.scenario.Scenario;
import io.isochron.sim.scenario.VcpuSpec;
import io.isochron.sim.scenario.VmSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Periodic task sets that stress the EDF refinement: 1–3 pCPUs, 2–(3m+3) tasks, loads 0.5–1.0 per
 * pCPU, half the tasks with constrained deadlines, few categories so that conflicts are frequent.
 * Each task is one vCPU of its own VM, released synchronously at 0 for 40 ms. A job's I/O
 * utilisation is at most 100/m %, so no component can be overloaded and every job runs exactly its
 * declared time — the condition of the refinement's guarantee.
 */
public final class TaskSetGenerator {
    private static final long MS = 1_000_000;
    private static final long[] PERIODS = {2 * MS, 4 * MS, 5 * MS, 10 * MS, 20 * MS};
    private static final long HORIZON = 40 * MS;

    private TaskSetGenerator() {}

    public static Scenario constrained(RandomGenerator rnd) {
        int pcpus = 1 + rnd.nextInt(3);
        int tasks = 2 + rnd.nextInt(3 * pcpus + 2);
        double targetLoad = 0.5 + rnd.nextDouble() * 0.5;
        int categories = 1 + rnd.nextInt(IoCategory.values().length);
        double maxUtil = 100.0 / pcpus;
        List<VmSpec> vms = new ArrayList<>();
        for (int i = 0; i < tasks; i++) {
            long period = PERIODS[rnd.nextInt(PERIODS.length)];
            double u = Math.min(0.95, targetLoad * pcpus / tasks * (0.4 + 1.2 * rnd.nextDouble()));
            long cpu = Math.max(MS / 20, (long) (u * period));
            long deadline = rnd.nextBoolean() ? cpu + (long) (rnd.nextDouble() * (period - cpu)) : period;
            IoCategory category = IoCategory.values()[rnd.nextInt(categories)];
            double util = 5 + rnd.nextDouble() * (maxUtil - 5);
            List<Job> jobs = new ArrayList<>();
            for (long t = 0; t < HORIZON; t += period) {
                jobs.add(Job.of(t, cpu, category, util, deadline));
            }
            vms.add(new VmSpec("t" + i, List.of(new VcpuSpec(0, period, jobs))));
        }
        return new Scenario("taskset", "generated periodic task set", pcpus, vms);
    }
}
