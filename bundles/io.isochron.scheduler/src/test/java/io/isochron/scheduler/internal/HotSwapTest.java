package io.isochron.scheduler.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.isochron.api.IoCategory;
import io.isochron.api.scheduling.RunQueueSummary;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Switches policies 1,000+ times while a bridge thread drives decisions as fast as it can (at least
 * 100,000 of them during the switching, however fast the machine), and checks every decision the
 * bridge sees: each ready job is started exactly once per run slice, never on a busy pCPU, and
 * every job released completes. How many decisions per second that is, is a benchmark's business
 * ({@code HotSwapBenchmark}).
 */
class HotSwapTest {
    private static final int PCPUS = 4;
    private static final int VCPUS = 16;

    /** A bridge that runs each started job for one "tick" and checks the scheduler's decisions. */
    static final class CheckingBridge extends SchedulerServiceTest.ScriptedBridge {
        final int[] runningOn = new int[PCPUS];
        final boolean[] ready = new boolean[VCPUS];
        final boolean[] running = new boolean[VCPUS];
        final List<String> violations = new ArrayList<>();
        long released;
        long completed;

        CheckingBridge() {
            super(PCPUS);
            java.util.Arrays.fill(runningOn, -1);
        }

        @Override
        public void start(int pcpu, int vcpu) {
            if (runningOn[pcpu] >= 0) {
                violations.add("start of " + vcpu + " on busy pCPU " + pcpu);
            }
            if (!ready[vcpu] || running[vcpu]) {
                violations.add("start of " + vcpu + " that is not waiting (ready=" + ready[vcpu] + ")");
            }
            runningOn[pcpu] = vcpu;
            running[vcpu] = true;
        }

        @Override
        public void preempt(int pcpu, int vcpu) {
            if (runningOn[pcpu] != vcpu) {
                violations.add("preempt of " + vcpu + " not running on " + pcpu);
            }
            runningOn[pcpu] = -1;
            running[vcpu] = false;
        }

        /** One instant: finish what runs, release idle vCPUs, dispatch. */
        void tick(long now, RunQueueSummary summary, int round) {
            for (int p = 0; p < PCPUS; p++) {
                int v = runningOn[p];
                if (v >= 0) {
                    sink.finished(p, now);
                    runningOn[p] = -1;
                    running[v] = false;
                    ready[v] = false;
                    completed++;
                }
            }
            for (int v = 0; v < VCPUS; v++) {
                if (!ready[v]) {
                    IoCategory c = IoCategory.values()[(v + round) % IoCategory.values().length];
                    summary.clear().addHintedTask(1_000 + v * 10L, c, c.isComponent() ? 40 : 0);
                    sink.ready(v, summary, now, now, 100_000, 100_000);
                    ready[v] = true;
                    released++;
                }
            }
            sink.dispatch(now);
        }
    }

    @Test
    void switchingAThousandTimesUnderLoadLosesAndDuplicatesNothing() throws Exception {
        SchedulerService service = new SchedulerService();
        service.addPolicy(new ShortestQueuePolicy());
        service.addPolicy(new InterferenceAwarePolicy());
        service.addPolicy(new EdfRefinementPolicy());
        service.addPolicy(new EdfPolicy());
        CheckingBridge bridge = new CheckingBridge();
        service.setBridge(bridge);
        service.activate(null, SchedulerServiceTest.config("shortest-queue", 0));
        for (int v = 0; v < VCPUS; v++) {
            bridge.sink.registerVcpu("vm" + v, 0);
        }

        AtomicBoolean stop = new AtomicBoolean();
        Thread driver = new Thread(() -> {
            RunQueueSummary summary = new RunQueueSummary();
            long now = 0;
            for (int round = 0; !stop.get(); round++) {
                now += 2_000;
                bridge.tick(now, summary, round);
            }
        }, "bridge");
        driver.start();
        String[] cycle = {"interference-aware", "edf-refinement", "shortest-queue", "edf"};
        int switches = 0;
        long decisionsAtFirstSwitch = service.snapshot().decisionCount();
        while (switches < 1000 || service.snapshot().decisionCount() - decisionsAtFirstSwitch < 100_000) {
            String name = cycle[switches % cycle.length];
            String expectedPrevious = switches == 0 ? "shortest-queue" : cycle[(switches - 1) % cycle.length];
            assertThat(service.switchPolicy(name, switches % 101)).isEqualTo(expectedPrevious);
            switches++;
            TimeUnit.MICROSECONDS.sleep(200);
        }
        stop.set(true);
        driver.join();
        long decisions = service.snapshot().decisionCount();

        assertThat(bridge.violations).isEmpty();
        assertThat(switches).isGreaterThanOrEqualTo(1000);
        // Every release was decided exactly once.
        assertThat(decisions).isEqualTo(bridge.released);
        // Everything released was started and completed, except what is still queued now.
        long stillReady = 0;
        for (boolean r : bridge.ready) {
            stillReady += r ? 1 : 0;
        }
        assertThat(bridge.completed + stillReady).isEqualTo(bridge.released);
    }
}
