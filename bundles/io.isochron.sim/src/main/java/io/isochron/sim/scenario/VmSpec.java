package io.isochron.sim.scenario;

import java.util.List;

/** A VM of a scenario. */
public record VmSpec(String name, List<VcpuSpec> vcpus) {
    public VmSpec {
        vcpus = List.copyOf(vcpus);
    }
}
