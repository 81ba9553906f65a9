package io.isochron.scheduler.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.isochron.api.IoCategory;
import io.isochron.api.runtime.Health;
import io.isochron.api.runtime.HypervisorBridge;
import io.isochron.api.runtime.JitterSource;
import io.isochron.api.runtime.JitterStats;
import io.isochron.api.runtime.SchedulerSink;
import io.isochron.api.runtime.SchedulerState;
import io.isochron.api.scheduling.RunQueueSummary;
import io.isochron.api.scheduling.SchedulingPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The scheduler service's logic without a framework: DS calls are made by hand. */
class SchedulerServiceTest {
    private final SchedulerService service = new SchedulerService();
    private final ScriptedBridge bridge = new ScriptedBridge(2);
    private final SchedulingPolicy sq = new ShortestQueuePolicy();
    private final SchedulingPolicy ia = new InterferenceAwarePolicy();
    private final SchedulingPolicy edf = new EdfRefinementPolicy();

    /** A bridge driven by the test: events are sent through the sink it was attached to. */
    static class ScriptedBridge implements HypervisorBridge {
        final int pcpus;
        SchedulerSink sink;
        final List<String> decisions = new ArrayList<>();
        final List<String> placements = new ArrayList<>();
        final List<String> policies = new ArrayList<>();

        ScriptedBridge(int pcpus) {
            this.pcpus = pcpus;
        }

        @Override
        public String name() {
            return "scripted";
        }

        @Override
        public int pcpuCount() {
            return pcpus;
        }

        @Override
        public void attach(SchedulerSink s) {
            sink = s;
        }

        @Override
        public void detach(SchedulerSink s) {
            sink = null;
        }

        @Override
        public void queued(int pcpu, int vcpuId, IoCategory category) {
            placements.add(vcpuId + " " + category + "@" + pcpu);
        }

        @Override
        public void start(int pcpu, int vcpuId) {
            decisions.add("start " + vcpuId + "@" + pcpu);
        }

        @Override
        public void preempt(int pcpu, int vcpuId) {
            decisions.add("preempt " + vcpuId + "@" + pcpu);
        }

        @Override
        public void policyInForce(String policy, double overlapPercent) {
            policies.add(policy + " " + overlapPercent);
        }
    }

    static Map<String, Object> config(String policy, double overlap) {
        return config(policy, overlap, 1000);
    }

    static Map<String, Object> config(String policy, double overlap, long windowMillis) {
        return Map.of("policy", policy, "overlapPercent", overlap, "windowMillis", windowMillis);
    }

    @BeforeEach
    void wire() {
        service.addPolicy(sq);
        service.addPolicy(ia);
        service.addPolicy(edf);
        service.setBridge(bridge);
        service.activate(null, config("interference-aware", 0));
    }

    private void gpuJobs() {
        RunQueueSummary s = new RunQueueSummary();
        int a = bridge.sink.registerVcpu("hmi", 0);
        int b = bridge.sink.registerVcpu("analytics", 0);
        bridge.sink.ready(a, s.clear().addHintedTask(1_000_000, IoCategory.GPU, 60), 0, 0, 0, 0);
        bridge.sink.ready(b, s.clear().addHintedTask(1_000_000, IoCategory.GPU, 60), 0, 0, 0, 0);
        bridge.sink.dispatch(0);
    }

    @Test
    void decidesWithTheConfiguredPolicyAndReportsState() {
        gpuJobs();
        // Strict separation: the second GPU vCPU waits behind the first; the bridge learns each
        // placement with the category it was made for, so it never classifies on its own.
        assertThat(bridge.placements).containsExactly("0 GPU@0", "1 GPU@0");
        assertThat(bridge.decisions).containsExactly("start 0@0");
        SchedulerState s = service.snapshot();
        assertThat(s.health()).isEqualTo(Health.NORMAL);
        assertThat(s.policy()).isEqualTo("interference-aware");
        assertThat(s.decisionCount()).isEqualTo(2);
        assertThat(s.bridge()).isEqualTo("scripted");
        assertThat(s.pcpus()).extracting(SchedulerState.Pcpu::runningVcpu).containsExactly("hmi/0", "");
        assertThat(s.vcpus()).extracting(SchedulerState.Vcpu::state)
                .containsExactly(SchedulerState.VcpuState.RUNNING, SchedulerState.VcpuState.READY);
        assertThat(s.vcpus().get(1).category()).isEqualTo(IoCategory.GPU);
    }

    @Test
    void switchingChangesTheNextDecisionsAndReturnsThePreviousPolicy() {
        assertThat(service.switchPolicy("shortest-queue", 0)).isEqualTo("interference-aware");
        gpuJobs();
        assertThat(bridge.decisions).containsExactly("start 0@0", "start 1@1");
        assertThat(service.active().name()).isEqualTo("shortest-queue");
        bridge.sink.finished(0, 1_000_000);
        bridge.sink.finished(1, 1_000_000);
        bridge.sink.dispatch(1_000_000);
        SchedulerState s = service.snapshot();
        assertThat(s.components().get(IoCategory.GPU.ordinal()).peakPercent()).isEqualTo(120.0);
    }

    @Test
    void theBridgeIsToldThePolicyBeforeTheFirstDecisionUnderIt() {
        assertThat(bridge.policies).as("no decision yet").isEmpty();
        gpuJobs();
        assertThat(bridge.policies).containsExactly("interference-aware 0.0");
        service.switchPolicy("interference-aware", 50);
        assertThat(bridge.policies).as("told on the bridge's thread, not the switching one").hasSize(1);
        bridge.sink.dispatch(1);
        bridge.sink.dispatch(2);
        assertThat(bridge.policies).containsExactly("interference-aware 0.0", "interference-aware 50.0");
    }

    @Test
    void badSwitchesChangeNothing() {
        assertThatThrownBy(() -> service.switchPolicy("round-robin", 0))
                .hasMessage("property 'policy' = 'round-robin' is not a registered policy "
                        + "(allowed: edf-refinement, interference-aware, shortest-queue)");
        assertThatThrownBy(() -> service.switchPolicy(null, 0))
                .hasMessageStartingWith("property 'policy' = 'null' is not a registered policy (allowed: ");
        assertThatThrownBy(() -> service.switchPolicy("interference-aware", 150))
                .hasMessageContaining("'overlapPercent' = 150.0 is outside the allowed range 0..100");
        assertThat(service.active().name()).isEqualTo("interference-aware");
        assertThat(service.snapshot().health()).isEqualTo(Health.NORMAL);
    }

    @Test
    void badConfigurationIsRejectedAndTheLastGoodOneStays() {
        service.modified(config("interference-aware", 25));
        service.modified(config("no-such-policy", 0));
        assertThat(service.active().name()).isEqualTo("interference-aware");
        assertThat(service.active().overlapPercent()).isEqualTo(25.0);
        SchedulerState s = service.snapshot();
        assertThat(s.health()).isEqualTo(Health.CHECK_FUNCTION);
        assertThat(s.healthReason()).contains("io.isochron.scheduler", "'policy' = 'no-such-policy'", "allowed:",
                "keeping the last good configuration");
        service.modified(config("edf-refinement", 0, 50));
        assertThat(service.snapshot().healthReason())
                .contains("property 'windowMillis' = 50 is outside the allowed range 100..60000");
        service.modified(config("edf-refinement", 0));
        assertThat(service.snapshot().health()).isEqualTo(Health.NORMAL);
        assertThat(service.active().name()).isEqualTo("edf-refinement");
    }

    @Test
    void fallsBackWhenThePolicyServiceGoesAndReturnsWhenItComesBack() {
        service.removePolicy(ia);
        assertThat(service.active().name()).isEqualTo("shortest-queue");
        assertThat(service.active().fallback()).isTrue();
        gpuJobs();
        assertThat(bridge.decisions).containsExactly("start 0@0", "start 1@1");
        assertThat(service.snapshot().health()).isEqualTo(Health.OFF_SPEC);
        service.addPolicy(new InterferenceAwarePolicy());
        assertThat(service.active().name()).isEqualTo("interference-aware");
        assertThat(service.snapshot().health()).isEqualTo(Health.NORMAL);
    }

    @Test
    void jitterOutsideItsLimitsIsOffSpecBelowMoreSevereConditions() {
        String[] offSpec = {"host: p99 87 µs > limit 50 µs"};
        JitterSource jitter = new JitterSource() {
            @Override
            public List<JitterStats> jitter() {
                return List.of();
            }

            @Override
            public String offSpec() {
                return offSpec[0];
            }
        };
        service.setJitter(jitter);
        SchedulerState state = service.snapshot();
        assertThat(state.health()).isEqualTo(Health.OFF_SPEC);
        assertThat(state.healthReason()).isEqualTo("jitter: host: p99 87 µs > limit 50 µs");

        service.modified(config("no-such-policy", 0));
        assertThat(service.snapshot().health()).as("a rejected configuration is more severe").isEqualTo(Health.CHECK_FUNCTION);
        service.modified(config("interference-aware", 0));

        offSpec[0] = "";
        assertThat(service.snapshot().health()).isEqualTo(Health.NORMAL);
        offSpec[0] = "host: max 900 µs > limit 500 µs";
        service.unsetJitter(jitter);
        assertThat(service.snapshot().health()).as("no monitor, no jitter verdict").isEqualTo(Health.NORMAL);
    }

    @Test
    void aBridgeThatCannotApplyDecisionsDegradesHealthButDecisionsGoOn() {
        ScriptedBridge refusing = new ScriptedBridge(2) {
            @Override
            public void start(int pcpu, int vcpuId) {
                throw new IllegalStateException("sched_setaffinity: EPERM (Operation not permitted)");
            }
        };
        service.setBridge(refusing);
        bridge.sink = null;
        RunQueueSummary s = new RunQueueSummary();
        int a = refusing.sink.registerVcpu("plc", 0);
        for (int i = 0; i < 1000; i++) {
            refusing.sink.ready(a, s.clear().addHintedTask(10, IoCategory.BUS, 20), i * 10L, i * 10L, 0, 0);
            refusing.sink.dispatch(i * 10L);
            refusing.sink.finished(0, i * 10L + 5);
        }
        SchedulerState state = service.snapshot();
        assertThat(state.decisionCount()).isEqualTo(1000);
        assertThat(state.health()).isEqualTo(Health.MAINTENANCE_REQUIRED);
        assertThat(state.healthReason()).contains("1000 so far", "failed to start plc/0 on pCPU 0", "EPERM");
    }

    @Test
    void utilisationIsAveragedOverTheWindow() {
        RunQueueSummary s = new RunQueueSummary();
        int a = bridge.sink.registerVcpu("plc", 0);
        long ms = 1_000_000;
        bridge.sink.ready(a, s.clear().addHintedTask(250 * ms, IoCategory.BUS, 40), 0, 0, 0, 0);
        bridge.sink.dispatch(0);
        bridge.sink.finished(0, 250 * ms); // busy for a quarter of the first 1 s window, at 40 % BUS
        bridge.sink.dispatch(1000 * ms); // closes the window
        SchedulerState state = service.snapshot();
        assertThat(state.pcpus().get(0).utilizationPercent()).isCloseTo(25.0, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(state.pcpus().get(1).utilizationPercent()).isZero();
        SchedulerState.Component bus = state.components().get(IoCategory.BUS.ordinal());
        assertThat(bus.utilizationPercent()).isCloseTo(10.0, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(bus.peakPercent()).isEqualTo(40.0);
        assertThat(bus.overloadSeconds()).isZero();
    }

    @Test
    void withoutABridgeHealthIsFailure() {
        service.unsetBridge(bridge);
        assertThat(bridge.sink).isNull();
        SchedulerState s = service.snapshot();
        assertThat(s.health()).isEqualTo(Health.FAILURE);
        assertThat(s.healthReason()).contains("no hypervisor bridge");
        assertThat(s.pcpus()).isEmpty();
    }

    @Test
    void aReplacedBridgeIsNeverAMomentWithoutOne() {
        gpuJobs();
        List<SchedulerState> seenWhileAttaching = new ArrayList<>();
        ScriptedBridge next = new ScriptedBridge(2) {
            @Override
            public void attach(SchedulerSink s) {
                seenWhileAttaching.add(service.snapshot());
                super.attach(s);
            }
        };
        // What DS does when the KVM bridge registers a new bridge for a new guest set, then drops the old one.
        service.setBridge(next);
        service.unsetBridge(bridge);
        assertThat(bridge.sink).as("the old bridge is detached").isNull();
        assertThat(seenWhileAttaching).singleElement().satisfies(s -> {
            assertThat(s.health()).isEqualTo(Health.NORMAL);
            assertThat(s.decisionCount()).isEqualTo(2);
        });
        SchedulerState after = service.snapshot();
        assertThat(after.health()).isEqualTo(Health.NORMAL);
        assertThat(after.decisionCount()).as("decisions made under the old bridge still count").isEqualTo(2);
        int v = next.sink.registerVcpu("plc", 0);
        next.sink.ready(v, new RunQueueSummary().addHintedTask(1_000_000, IoCategory.BUS, 50), 0, 0, 0, 0);
        next.sink.dispatch(0);
        assertThat(next.decisions).containsExactly("start 0@0");
        assertThat(service.snapshot().decisionCount()).isEqualTo(3);
    }
}
