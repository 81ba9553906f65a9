package io.isochron.sim.scenario;

import java.util.List;

/**
 * A vCPU of a scenario VM with its jobs in arrival order. {@code periodNanos} is the minimum
 * inter-arrival time the vCPU declares to the scheduler (0: aperiodic). A job becomes ready at its
 * arrival or when the vCPU's previous job completes, whichever is later: a vCPU runs one job at a
 * time.
 */
public record VcpuSpec(int index, long periodNanos, List<Job> jobs) {
    public VcpuSpec {
        jobs = List.copyOf(jobs);
        for (int i = 1; i < jobs.size(); i++) {
            if (jobs.get(i).arrivalNanos() < jobs.get(i - 1).arrivalNanos()) {
                throw new IllegalArgumentException("jobs of vcpu " + index + " are not in arrival order");
            }
        }
    }
}
