package io.isochron.sim.hypervisor;

import io.isochron.api.IoCategory;
import io.isochron.api.runtime.HypervisorBridge;
import io.isochron.api.runtime.SchedulerSink;
import io.isochron.sim.engine.Simulator;
import io.isochron.sim.scenario.Scenario;
import java.lang.System.Logger.Level;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A hypervisor bridge backed by the simulator, paced by the wall clock (running up to
 * {@link #LEAD_NANOS} ahead of it): one thread plays the scenario and reports to the attached scheduler.
 */
final class SimulatedBridge implements HypervisorBridge {
    private static final System.Logger LOG = System.getLogger("io.isochron.sim.hypervisor");
    /** How far the simulated plant may run ahead of the wall clock; far below what telemetry resolves. */
    static final long LEAD_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private final Scenario scenario;
    private final double timeScale;
    private final boolean repeat;
    private volatile Simulator simulator;
    private volatile Thread thread;
    private volatile boolean stopping;

    SimulatedBridge(Scenario scenario, double timeScale, boolean repeat) {
        this.scenario = scenario;
        this.timeScale = timeScale;
        this.repeat = repeat;
    }

    Scenario scenario() {
        return scenario;
    }

    double timeScale() {
        return timeScale;
    }

    @Override
    public String name() {
        return "sim";
    }

    @Override
    public int pcpuCount() {
        return scenario.pcpus();
    }

    @Override
    public synchronized void attach(SchedulerSink sink) {
        if (thread != null) {
            throw new IllegalStateException("the simulated hypervisor is already attached to a scheduler");
        }
        stopping = false;
        long wallStart = System.nanoTime();
        Simulator sim = new Simulator(scenario, sink, "external", 0, false, repeat, simNanos -> {
            long due = wallStart + (long) (simNanos / timeScale);
            while (!stopping) {
                long wait = due - System.nanoTime();
                // Events due within the lead are played at once: one wake-up per lead instead of one per
                // event (a 1 ms control cycle is 2,000 events a second).
                if (wait <= LEAD_NANOS) {
                    return true;
                }
                LockSupport.parkNanos(Math.min(wait, TimeUnit.MILLISECONDS.toNanos(100)));
            }
            return false;
        });
        simulator = sim;
        Thread t = new Thread(() -> {
            try {
                sim.run();
                LOG.log(Level.INFO, stopping ? "scenario ''{0}'' stopped" : "scenario ''{0}'' finished", scenario.name());
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "simulated hypervisor stopped on an error: " + e, e);
            }
        }, "isochron-sim-hypervisor");
        t.setDaemon(true);
        thread = t;
        t.start();
        LOG.log(Level.INFO, "playing scenario ''{0}'' ({1} pCPUs, {2} vCPUs) at {3}x real time{4}", scenario.name(),
                scenario.pcpus(), scenario.vcpuCount(), timeScale, repeat ? ", repeating" : "");
    }

    @Override
    public synchronized void detach(SchedulerSink sink) {
        Thread t = thread;
        if (t == null) {
            return;
        }
        stopping = true;
        LockSupport.unpark(t);
        try {
            t.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (t.isAlive()) {
            LOG.log(Level.WARNING, "simulated hypervisor thread did not stop within 5 s");
        }
        thread = null;
        simulator = null;
    }

    @Override
    public void queued(int pcpu, int vcpuId, IoCategory category) {
        simulator.queued(pcpu, vcpuId, category);
    }

    @Override
    public void start(int pcpu, int vcpuId) {
        simulator.start(pcpu, vcpuId);
    }

    @Override
    public void preempt(int pcpu, int vcpuId) {
        simulator.preempt(pcpu, vcpuId);
    }
}
