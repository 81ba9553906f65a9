package io.isochron.bridge.kvm.internal;

import io.isochron.api.IoCategory;
import java.util.BitSet;

/**
 * Turns the scheduling unit's decisions into thread affinities, which is all a host can enforce (a
 * vCPU thread the policy holds back still runs wherever the kernel lets it). A running vCPU is pinned
 * to its pCPU. The other vCPUs of a category K are confined to K's cores: the pCPUs where K runs
 * right now or, with none of K running, the queue of the first queued K vCPU — so that the kernel
 * time-shares them instead of running them side by side: queued ones (the policy held them back
 * because they conflict) and idle ones (a halted guest that wakes up runs before its next summary
 * reaches the scheduler). When a policy lets K run on a second pCPU (overlap), K's other vCPUs may use
 * both. CPU-only (NONE) vCPUs never conflict and follow their queue; idle ones of a category with
 * nothing queued or running, and idle NONE ones, keep whatever affinity they have.
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
        // With none of K running, K's vCPUs gather on one queue's core rather than each on its own.
        for (int v = 0; v < vcpus; v++) {
            if (!reserved[v] && runningOn[v] < 0 && queuedOn[v] >= 0 && category[v].isComponent()
                    && categoryCpus[category[v].ordinal()].isEmpty()) {
                categoryCpus[category[v].ordinal()].set(hostCpu[queuedOn[v]]);
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
            } else if (category[v].isComponent()) {
                target.or(categoryCpus[category[v].ordinal()]); // empty for an idle vCPU of an absent K
            } else if (queuedOn[v] >= 0) {
                target.set(hostCpu[queuedOn[v]]);
            }
        }
    }
}
