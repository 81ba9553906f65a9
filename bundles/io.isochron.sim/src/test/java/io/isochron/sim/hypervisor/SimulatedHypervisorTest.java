package io.isochron.sim.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.isochron.api.runtime.SchedulerSink;
import io.isochron.api.scheduling.RunQueueSummary;
import io.isochron.scheduler.core.Classifier;
import io.isochron.scheduler.core.InterferenceAware;
import io.isochron.scheduler.core.RunQueues;
import io.isochron.scheduler.core.VcpuSlot;
import java.lang.annotation.Annotation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SimulatedHypervisorTest {

    static SimulatedHypervisorConfig config(String scenario, double timeScale) {
        return new SimulatedHypervisorConfig() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return SimulatedHypervisorConfig.class;
            }

            @Override
            public String scenario() {
                return scenario;
            }

            @Override
            public double timeScale() {
                return timeScale;
            }

            @Override
            public boolean repeat() {
                return true;
            }
        };
    }

    /** A scheduler on the bridge's thread that counts what it is told. */
    static final class CountingScheduler implements SchedulerSink, RunQueues.Listener {
        final RunQueues queues;
        final SimulatedBridge bridge;
        final AtomicLong readies = new AtomicLong();
        final AtomicLong starts = new AtomicLong();
        final Set<String> threads = ConcurrentHashMap.newKeySet();

        CountingScheduler(SimulatedBridge bridge) {
            this.bridge = bridge;
            this.queues = new RunQueues(bridge.pcpuCount(), new InterferenceAware(0), new Classifier(), this);
        }

        @Override
        public int registerVcpu(String vm, int index) {
            return queues.register(vm, index).id();
        }

        @Override
        public void ready(int id, RunQueueSummary s, long now, long release, long period, long deadline) {
            threads.add(Thread.currentThread().getName());
            readies.incrementAndGet();
            queues.classifyAndPlace(queues.placement(), id, s, now, release, period, deadline);
        }

        @Override
        public void finished(int pcpu, long now) {
            queues.finish(pcpu, now);
        }

        @Override
        public void dispatch(long now) {
            queues.dispatch(now);
        }

        @Override
        public void queued(int pcpu, VcpuSlot vcpu, long now) {
            bridge.queued(pcpu, vcpu.id(), vcpu.category());
        }

        @Override
        public void started(int pcpu, VcpuSlot vcpu, long now) {
            starts.incrementAndGet();
            bridge.start(pcpu, vcpu.id());
        }

        @Override
        public void preempted(int pcpu, VcpuSlot vcpu, long now) {
            bridge.preempt(pcpu, vcpu.id());
        }
    }

    @Test
    void playsTheDefaultPlantContinuouslyUntilDetached() throws Exception {
        SimulatedBridge bridge = SimulatedHypervisor.create(config("", 5));
        assertThat(bridge.pcpuCount()).isEqualTo(4);
        assertThat(bridge.scenario().vcpuCount()).isEqualTo(6);
        CountingScheduler scheduler = new CountingScheduler(bridge);
        bridge.attach(scheduler);
        Thread.sleep(400);
        bridge.detach(scheduler);
        long readies = scheduler.readies.get();
        // 400 ms at 5x is 2 s of plant time: the PLC alone releases a job every millisecond.
        assertThat(readies).isGreaterThan(1000);
        assertThat(scheduler.starts.get()).isGreaterThan(1000);
        assertThat(scheduler.threads).containsExactly("isochron-sim-hypervisor");
        assertThat(scheduler.queues.vcpuCount()).isEqualTo(6);
        Thread.sleep(50);
        assertThat(scheduler.readies.get()).as("no events after detach").isEqualTo(readies);
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().equals("isochron-sim-hypervisor"));
    }

    @Test
    void realTimeKeepsPaceWithTheWallClock() throws Exception {
        SimulatedBridge bridge = SimulatedHypervisor.create(config("", 1));
        CountingScheduler scheduler = new CountingScheduler(bridge);
        long start = System.nanoTime();
        bridge.attach(scheduler);
        Thread.sleep(300);
        bridge.detach(scheduler);
        long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
        // The plant releases about 1.2 jobs per millisecond (the PLC's 1 ms cycle and slower vCPUs):
        // paced to the wall clock, the count follows the elapsed time instead of racing ahead.
        assertThat(scheduler.readies.get()).isBetween(elapsedMillis / 4, 2 * elapsedMillis + 20);
    }

    @Test
    void badConfigurationNamesThePropertyAndTheProblem(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> SimulatedHypervisor.create(config("", 0)))
                .hasMessage("property 'timeScale' = 0.0 is outside the allowed range 0.001..1000");
        assertThatThrownBy(() -> SimulatedHypervisor.create(config(dir.resolve("missing.yaml").toString(), 1)))
                .hasMessageStartingWith("property 'scenario': ").hasMessageContaining("cannot read scenario");
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, "name: x\npcpus: 0\nvms: []\n");
        assertThatThrownBy(() -> SimulatedHypervisor.create(config(bad.toString(), 1)))
                .hasMessage("property 'scenario': " + bad + ":2: pcpus must be within 1..4096, got 0");
    }
}
