package io.isochron.analysis;

import java.util.List;

/** Tasks placed on vCPUs, each vCPU with the least-bandwidth reservation found for its tasks. */
public record Partition(List<Vcpu> vcpus) {
    public Partition {
        vcpus = List.copyOf(vcpus);
    }

    /** One vCPU: its tasks and its reservation (budget 0 when it has no task). */
    public record Vcpu(int index, List<Task> tasks, Reservation reservation) {
        public Vcpu {
            tasks = List.copyOf(tasks);
        }

        public double utilisation() {
            return Demand.utilisation(tasks).doubleValue();
        }
    }

    /** Sum of the reserved (rounded) bandwidths. */
    public double totalBandwidth() {
        Ratio sum = Ratio.ZERO;
        for (Vcpu v : vcpus) {
            sum = sum.plus(Ratio.of(v.reservation().roundedBudget(), v.reservation().period()));
        }
        return sum.doubleValue();
    }
}
