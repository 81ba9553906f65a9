package io.isochron.scheduler.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.isochron.api.IoCategory;
import io.isochron.api.scheduling.RunQueueSummary;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RunQueuesTest {
    private final List<String> log = new ArrayList<>();
    private final List<String> queued = new ArrayList<>();
    private final RunQueues.Listener listener = new RunQueues.Listener() {
        @Override
        public void queued(int pcpu, VcpuSlot vcpu, long now) {
            queued.add(vcpu.vmName() + "/" + vcpu.index() + " " + vcpu.category() + "@" + pcpu);
        }

        @Override
        public void started(int pcpu, VcpuSlot vcpu, long now) {
            log.add(now + " start " + vcpu.vm() + "/" + vcpu.index() + "@" + pcpu);
        }

        @Override
        public void preempted(int pcpu, VcpuSlot vcpu, long now) {
            log.add(now + " preempt " + vcpu.vm() + "/" + vcpu.index() + "@" + pcpu);
        }
    };
    private final RunQueueSummary summary = new RunQueueSummary();

    private RunQueues queues(int pcpus, io.isochron.api.scheduling.Placement p, int vcpus) {
        RunQueues q = new RunQueues(pcpus, p, new Classifier(), listener);
        for (int i = 0; i < vcpus; i++) {
            q.register("vm0", i);
        }
        return q;
    }

    private int ready(RunQueues q, int id, long now, IoCategory c, double util, long cpu) {
        return q.ready(id, summary.clear().addHintedTask(cpu, c, util), now, now, 0, 0);
    }

    @Test
    void vmsAreNumberedDenselyByNameAndEveryPlacementCarriesTheCategoryItWasMadeWith() {
        RunQueues q = new RunQueues(2, new ShortestQueue(), new Classifier(), listener);
        VcpuSlot plc0 = q.register("plc", 0);
        VcpuSlot hmi0 = q.register("hmi", 0);
        VcpuSlot plc1 = q.register("plc", 1);
        assertThat(List.of(plc0.vm(), hmi0.vm(), plc1.vm())).containsExactly(0, 1, 0);
        assertThat(plc1.vmName()).isEqualTo("plc");

        ready(q, plc1.id(), 0, IoCategory.BUS, 40, 10);
        q.ready(hmi0.id(), summary.clear().addTask(10, 0, 0, 0, 0, 0, 80), 0, 0, 0, 0);
        assertThat(queued).containsExactly("plc/1 BUS@0", "hmi/0 STORAGE@1");
    }

    @Test
    void shortestQueueBalancesByQueueLengthAndRunsFifo() {
        RunQueues q = queues(2, new ShortestQueue(), 4);
        assertThat(ready(q, 0, 0, IoCategory.GPU, 50, 10)).isZero();
        assertThat(ready(q, 1, 0, IoCategory.GPU, 50, 10)).isEqualTo(1);
        assertThat(ready(q, 2, 0, IoCategory.RAM, 50, 10)).isZero();
        assertThat(ready(q, 3, 0, IoCategory.RAM, 50, 10)).isEqualTo(1);
        assertThat(log).containsExactly("0 start 0/0@0", "0 start 0/1@1");
        q.complete(0, 10);
        assertThat(log).endsWith("10 start 0/2@0");
        assertThat(q.decisions()).isEqualTo(4);
    }

    @Test
    void strictInterferenceAwareKeepsSameCategoryApart() {
        RunQueues q = queues(2, new InterferenceAware(0), 3);
        ready(q, 0, 0, IoCategory.GPU, 30, 10);
        // The second GPU vCPU queues behind the first one instead of running beside it.
        assertThat(ready(q, 1, 0, IoCategory.GPU, 30, 10)).isZero();
        assertThat(ready(q, 2, 0, IoCategory.RAM, 30, 10)).isEqualTo(1);
        assertThat(log).containsExactly("0 start 0/0@0", "0 start 0/2@1");
        q.complete(0, 10);
        assertThat(log).endsWith("10 start 0/1@0");
    }

    @Test
    void overlapAllowsCoRunningWithinTheBudget() {
        // vCPU 0 has 2 ns left when vCPU 1 (10 ns) starts: 20 % co-running.
        RunQueues strict = queues(2, new InterferenceAware(19), 3);
        ready(strict, 2, 0, IoCategory.NONE, 0, 100);
        ready(strict, 0, 0, IoCategory.BUS, 40, 10);
        strict.dispatch(8);
        InterferenceAware p19 = new InterferenceAware(19);
        InterferenceAware p20 = new InterferenceAware(20);
        VcpuSlot waiting = strict.slot(1);
        strict.classifyAndPlace(strict.placement(), 1, summary.clear().addHintedTask(10, IoCategory.BUS, 40), 8, 8, 0, 0);
        int other = waiting.queuedOn() == 0 ? 1 : 0;
        assertThat(p19.admissible(waiting, other, strict)).isFalse();
        assertThat(p20.admissible(waiting, other, strict)).isTrue();
        // Capacity still rules: 40 % + 70 % > 100 % is never admitted.
        strict.slot(1).ioPercent = 70;
        assertThat(new InterferenceAware(100).admissible(waiting, other, strict)).isFalse();
    }

    @Test
    void edfPreemptsForAnEarlierDeadline() {
        RunQueues q = queues(1, new Edf(false), 2);
        q.ready(0, summary.clear().addHintedTask(10, IoCategory.NONE, 0), 0, 0, 0, 100);
        q.ready(1, summary.clear().addHintedTask(5, IoCategory.NONE, 0), 2, 2, 0, 10);
        assertThat(log).containsExactly("0 start 0/0@0", "2 preempt 0/0@0", "2 start 0/1@0");
        assertThat(q.slot(0).remainingNanos()).isEqualTo(8);
        q.complete(0, 7);
        assertThat(log).endsWith("7 start 0/0@0");
    }

    @Test
    void edfKeepsEachVcpuOnItsHomePcpu() {
        RunQueues q = queues(2, new Edf(true), 2);
        q.ready(0, summary.clear().addHintedTask(5, IoCategory.NONE, 0), 0, 0, 10, 10);
        q.ready(1, summary.clear().addHintedTask(5, IoCategory.NONE, 0), 0, 0, 10, 10);
        assertThat(q.slot(0).homePcpu()).isZero();
        assertThat(q.slot(1).homePcpu()).isEqualTo(1);
        q.complete(0, 5);
        assertThat(q.ready(0, summary.clear().addHintedTask(5, IoCategory.NONE, 0), 10, 10, 10, 10)).isZero();
    }

    @Test
    void refinementRunsANonConflictingVcpuOnlyWhenDeadlinesAllowIt() {
        Edf refined = new Edf(true);
        RunQueues q = queues(2, refined, 3);
        // pCPU 0 runs a GPU vCPU for a long time.
        q.ready(0, summary.clear().addHintedTask(50, IoCategory.GPU, 50), 0, 0, 0, 1000);
        q.slot(1).homePcpu = 1;
        q.slot(2).homePcpu = 1;
        // On pCPU 1: a GPU vCPU with the earlier deadline and a RAM vCPU with slack.
        q.classifyAndPlace(refined, 1, summary.clear().addHintedTask(10, IoCategory.GPU, 50), 0, 0, 0, 40);
        q.classifyAndPlace(refined, 2, summary.clear().addHintedTask(10, IoCategory.RAM, 50), 0, 0, 0, 100);
        q.dispatch(0);
        assertThat(q.running(1).id()).isEqualTo(2);

        // Same, but the GPU vCPU's deadline leaves no room for the RAM vCPU first: EDF order stands.
        log.clear();
        RunQueues tight = queues(2, refined, 3);
        tight.ready(0, summary.clear().addHintedTask(50, IoCategory.GPU, 50), 0, 0, 0, 1000);
        tight.slot(1).homePcpu = 1;
        tight.slot(2).homePcpu = 1;
        tight.classifyAndPlace(refined, 1, summary.clear().addHintedTask(10, IoCategory.GPU, 50), 0, 0, 0, 15);
        tight.classifyAndPlace(refined, 2, summary.clear().addHintedTask(10, IoCategory.RAM, 50), 0, 0, 0, 100);
        tight.dispatch(0);
        assertThat(tight.running(1).id()).isEqualTo(1);
    }

    @Test
    void aWithdrawnVcpuLeavesItsQueue() {
        RunQueues q = queues(1, new ShortestQueue(), 3);
        ready(q, 0, 0, IoCategory.NONE, 0, 10);
        ready(q, 1, 0, IoCategory.NONE, 0, 10);
        ready(q, 2, 0, IoCategory.NONE, 0, 10);
        q.withdraw(1);
        assertThat(q.queueLength(0)).isEqualTo(2);
        assertThat(q.slot(1).queuedOn()).isEqualTo(-1);
        assertThat(q.runningIndex(0)).isZero();
        q.complete(0, 10);
        assertThat(log).endsWith("10 start 0/2@0");
        assertThatThrownBy(() -> q.withdraw(2)).hasMessageContaining("is running");
        assertThatThrownBy(() -> q.withdraw(1)).hasMessageContaining("is not queued");
    }

    @Test
    void misuseIsReported() {
        RunQueues q = queues(1, new ShortestQueue(), 1);
        assertThatThrownBy(() -> q.complete(0, 0)).hasMessageContaining("nothing running");
        ready(q, 0, 5, IoCategory.NONE, 0, 1);
        assertThatThrownBy(() -> ready(q, 0, 6, IoCategory.NONE, 0, 1)).hasMessageContaining("already queued");
        assertThatThrownBy(() -> q.dispatch(1)).hasMessageContaining("backwards");
        assertThatThrownBy(() -> q.slot(7)).hasMessageContaining("unknown vCPU id 7");
        assertThatThrownBy(() -> new RunQueues(0, new ShortestQueue(), new Classifier(), listener))
                .hasMessageContaining("at least 1 pCPU");
    }

    @Test
    void policiesAreCreatedByNameWithClearErrors() {
        assertThat(Policies.create("edf-refinement", 0).policyName()).isEqualTo("edf-refinement");
        assertThat(Policies.create("interference-aware", 25).overlapPercent()).isEqualTo(25.0);
        assertThatThrownBy(() -> Policies.create("round-robin", 0))
                .hasMessage("unknown policy 'round-robin' (allowed: shortest-queue, interference-aware, edf-refinement, edf)");
        assertThatThrownBy(() -> Policies.create("interference-aware", 101)).hasMessageContaining("0..100");
        assertThatThrownBy(() -> Policies.create("interference-aware", Double.NaN)).hasMessageContaining("0..100");
    }
}
