package io.isochron.sim.scenario;

import java.util.List;

/** A simulation scenario: pCPUs and VMs with their vCPUs' jobs. Times are nanoseconds. */
public record Scenario(String name, String description, int pcpus, List<VmSpec> vms) {
    public Scenario {
        if (pcpus < 1) {
            throw new IllegalArgumentException("a scenario needs at least 1 pCPU, got " + pcpus);
        }
        vms = List.copyOf(vms);
        description = description == null ? "" : description;
    }

    public int vcpuCount() {
        return vms.stream().mapToInt(vm -> vm.vcpus().size()).sum();
    }

    public long jobCount() {
        return vms.stream().flatMap(vm -> vm.vcpus().stream()).mapToLong(v -> v.jobs().size()).sum();
    }
}
