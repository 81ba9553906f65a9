package io.isochron.bridge.kvm.internal;

import io.isochron.api.IoCategory;
import java.util.BitSet;

/**
 * Turns the scheduling unit's decisions into thread affinities, which is all a host can enforce: a
 * running vCPU is pinned to its pCPU; a queued vCPU of category K is pinned to the pCPUs where K is
 * running right now, so the kernel time-shares it with them instead of running it alongside (the
 * policy held it back because it conflicts); with no K running, it goes to the pCPU whose queue holds
 * it. When a policy lets K start on a second pCPU (overlap), K's queued vCPUs may use both. CPU-only
 * (NONE) vCPUs never conflict and follow their queue. Idle vCPUs keep whatever affinity they have.
 *
 * <p>Allocation-free after construction.
 */
final class AffinityPlanner {
    private final int[] hostCpu;
    private final BitSet[] categoryCpus = new BitSet[IoCategory.COMPONENT_COUNT];

    /** @param hostCpu the host CPU number of each pCPU index the scheduler uses */
    AffinityPlanner(int[] hostCpu) {
        this.hostCpu = hostCpu.clone();
        for (int k = 0; k < categoryCpus.length; k++) {
            categoryCpus[k] = new BitSet();
        }
    }

    /**
     * @param category each vCPU's category as last classified
     * @param runningOn the pCPU each vCPU runs on, -1 if none
     * @param queuedOn the pCPU whose queue holds each vCPU, -1 if none
     * @param reserved SCHED_DEADLINE vCPUs, which the kernel does not let anyone pin: they get an
     *     empty target and do not count as running anywhere (the host CPU the scheduler chose for
     *     them is not where they run)
     * @param out receives each vCPU's target host CPUs; a vCPU that is neither running nor queued
     *     (or is reserved) gets an empty set, meaning "leave it as it is"
     */
    void plan(int vcpus, IoCategory[] category, int[] runningOn, int[] queuedOn, boolean[] reserved, BitSet[] out) {
        for (BitSet b : categoryCpus) {
            b.clear();
        }
        for (int v = 0; v < vcpus; v++) {
            if (reserved[v]) {
                continue;
            }
            if (runningOn[v] >= 0 && category[v].isComponent()) {
                categoryCpus[category[v].ordinal()].set(hostCpu[runningOn[v]]);
            }
        }
        for (int v = 0; v < vcpus; v++) {
            BitSet target = out[v];
            target.clear();
            if (reserved[v]) {
                continue;
            }
            if (runningOn[v] >= 0) {
                target.set(hostCpu[runningOn[v]]);
            } else if (queuedOn[v] >= 0) {
                if (category[v].isComponent() && !categoryCpus[category[v].ordinal()].isEmpty()) {
                    target.or(categoryCpus[category[v].ordinal()]);
                } else {
                    target.set(hostCpu[queuedOn[v]]);
                }
            }
        }
    }
}
