package io.isochron.scheduler.core;

import io.isochron.api.scheduling.Placement;
import io.isochron.api.scheduling.SchedulerView;
import io.isochron.api.scheduling.VcpuView;

/**
 * The paper's baseline: a ready vCPU joins the pCPU with the fewest queued vCPUs (running one
 * included; ties to the lowest pCPU index), and each pCPU runs its queue first come, first served.
 * Run times and I/O categories are ignored.
 */
public final class ShortestQueue implements Placement {
    public static final String NAME = "shortest-queue";

    @Override
    public String policyName() {
        return NAME;
    }

    @Override
    public double overlapPercent() {
        return 0;
    }

    @Override
    public int place(VcpuView ready, SchedulerView view) {
        int best = 0;
        for (int p = 1; p < view.pcpuCount(); p++) {
            if (view.queueLength(p) < view.queueLength(best)) {
                best = p;
            }
        }
        return best;
    }

    @Override
    public int select(int pcpu, SchedulerView view) {
        return view.queueLength(pcpu) > 0 ? 0 : IDLE;
    }

    @Override
    public boolean preemptive() {
        return false;
    }
}
