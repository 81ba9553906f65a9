package io.isochron.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isochron.api.runtime.Health;
import io.isochron.api.runtime.PolicyControl;
import io.isochron.api.runtime.SchedulerState;
import io.isochron.api.runtime.SchedulerStateSource;
import io.isochron.api.scheduling.Placement;
import io.isochron.api.scheduling.SchedulerView;
import io.isochron.api.scheduling.SchedulingPolicy;
import io.isochron.api.scheduling.VcpuView;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleListener;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;

/**
 * The running appliance on Felix: the scheduler attached to the simulated hypervisor, configuration
 * changes and policy swaps at runtime without restarting anything, bad configuration, and a policy
 * installed and removed on the fly.
 */
class ApplianceRuntimeTest {
    private static final long TIMEOUT_MS = 10_000;

    @InjectBundleContext
    BundleContext context;

    @InjectService(timeout = TIMEOUT_MS)
    PolicyControl control;

    @InjectService(timeout = TIMEOUT_MS)
    SchedulerStateSource state;

    @InjectService(timeout = TIMEOUT_MS)
    ConfigurationAdmin configAdmin;

    private final List<String> bundleEvents = new CopyOnWriteArrayList<>();
    private final BundleListener listener = e -> {
        if (e.getType() == BundleEvent.STOPPED || e.getType() == BundleEvent.STARTED
                || e.getType() == BundleEvent.UPDATED || e.getType() == BundleEvent.UNINSTALLED) {
            bundleEvents.add(e.getBundle().getSymbolicName() + " " + e.getType());
        }
    };
    private Map<Long, Long> bundlesBefore;

    @BeforeEach
    void watchBundles() throws Exception {
        context.addBundleListener(listener);
        bundlesBefore = activeBundles();
        configure("io.isochron.scheduler", "policy", "interference-aware", "overlapPercent", 0.0);
        waitFor(() -> control.active().name().equals("interference-aware"), "interference-aware active");
        waitFor(() -> state.snapshot().bridge().equals("sim") && state.snapshot().health() == Health.NORMAL,
                "scheduler attached to the simulated hypervisor");
        long decisions = state.snapshot().decisionCount();
        waitFor(() -> state.snapshot().decisionCount() > decisions, "decisions from the simulated hypervisor");
    }

    @AfterEach
    void noBundleRestarted() throws Exception {
        context.removeBundleListener(listener);
        assertEquals(List.of(), bundleEvents, "bundles stopped, started or updated during the test");
        assertEquals(bundlesBefore, activeBundles(), "the set of active bundles changed");
        configure("io.isochron.sim.hypervisor", "timeScale", 1.0);
        configure("io.isochron.scheduler", "policy", "interference-aware", "overlapPercent", 0.0);
        waitFor(() -> control.active().name().equals("interference-aware"), "default policy restored");
        waitFor(() -> simulatedBridgeAt(1.0) && state.snapshot().bridge().equals("sim"),
                "simulated hypervisor at real time attached again");
    }

    private boolean simulatedBridgeAt(double timeScale) {
        try {
            var refs = context.getServiceReferences(io.isochron.api.runtime.HypervisorBridge.class,
                    "(isochron.sim.timeScale=" + timeScale + ")");
            return !refs.isEmpty();
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new AssertionError(e);
        }
    }

    /** Bundle id -> last modified, for every ACTIVE bundle. */
    private Map<Long, Long> activeBundles() {
        Map<Long, Long> m = new TreeMap<>();
        for (Bundle b : context.getBundles()) {
            if (b.getState() == Bundle.ACTIVE) {
                m.put(b.getBundleId(), b.getLastModified());
            }
        }
        return m;
    }

    private void configure(String pid, Object... keyValues) throws Exception {
        Configuration c = configAdmin.getConfiguration(pid, "?");
        Dictionary<String, Object> props = c.getProperties() == null ? new Hashtable<>() : c.getProperties();
        for (int i = 0; i < keyValues.length; i += 2) {
            props.put((String) keyValues[i], keyValues[i + 1]);
        }
        c.updateIfDifferent(props);
    }

    private static void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.currentTimeMillis() + TIMEOUT_MS;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.sleep(20);
        }
    }

    @Test
    void theSchedulerDecidesForTheSimulatedPlant() throws Exception {
        SchedulerState s = state.snapshot();
        assertEquals("sim", s.bridge());
        assertEquals(4, s.pcpus().size());
        assertEquals(6, s.vcpus().size());
        assertEquals(Health.NORMAL, s.health(), s.healthReason());
        long before = s.decisionCount();
        waitFor(() -> state.snapshot().decisionCount() > before + 100, "decisions keep coming");
    }

    @Test
    void configurationChangesApplyWithoutRestart() throws Exception {
        configure("io.isochron.scheduler", "policy", "edf-refinement");
        waitFor(() -> control.active().name().equals("edf-refinement"), "edf-refinement from ConfigAdmin");
        long decisions = state.snapshot().decisionCount();
        waitFor(() -> state.snapshot().decisionCount() > decisions + 100, "decisions under the new policy");
        assertEquals("edf-refinement", state.snapshot().policy());
    }

    @Test
    void badConfigurationIsRejectedAndTheLastGoodOneStays() throws Exception {
        configure("io.isochron.scheduler", "policy", "round-robin");
        waitFor(() -> state.snapshot().health() == Health.CHECK_FUNCTION, "health shows the rejection");
        SchedulerState s = state.snapshot();
        assertEquals("interference-aware", s.policy());
        assertTrue(s.healthReason().contains("'policy' = 'round-robin'"), s.healthReason());
        assertTrue(s.healthReason().contains("allowed: "), s.healthReason());
        configure("io.isochron.scheduler", "policy", "interference-aware", "overlapPercent", 250.0);
        waitFor(() -> state.snapshot().healthReason().contains("'overlapPercent' = 250.0"), "overlap rejected");
        configure("io.isochron.scheduler", "policy", "shortest-queue", "overlapPercent", 0.0);
        // the rejection is forgotten as the good configuration arrives, a moment before it is installed
        waitFor(() -> state.snapshot().health() == Health.NORMAL && "shortest-queue".equals(control.active().name()),
                "good configuration clears the problem and is in force");
    }

    @Test
    void aBadHypervisorConfigurationKeepsThePlantRunningAndShowsInHealth() throws Exception {
        configure("io.isochron.sim.hypervisor", "timeScale", 0.0);
        waitFor(() -> state.snapshot().health() == Health.CHECK_FUNCTION, "health shows the rejected configuration");
        assertTrue(state.snapshot().healthReason().contains("'timeScale' = 0.0"), state.snapshot().healthReason());
        long decisions = state.snapshot().decisionCount();
        waitFor(() -> state.snapshot().decisionCount() > decisions + 50, "the previous scenario keeps running");
        // A good configuration replaces the bridge; the scheduler re-attaches and counts on.
        configure("io.isochron.sim.hypervisor", "timeScale", 2.0);
        waitFor(() -> state.snapshot().health() == Health.NORMAL, "problem cleared by the new bridge");
        long after = state.snapshot().decisionCount();
        assertTrue(after >= decisions, "decision count went back from " + decisions + " to " + after);
    }

    @Test
    void aThousandSwitchesUnderLoadRestartNothing() throws Exception {
        // The default plant makes ~1.2 decisions per simulated millisecond: at 20x that is >20,000/s.
        configure("io.isochron.sim.hypervisor", "timeScale", 20.0);
        waitFor(() -> state.snapshot().decisionCount() > 1000, "the faster plant is running");
        String[] cycle = {"edf-refinement", "shortest-queue", "edf", "interference-aware"};
        long start = System.nanoTime();
        long decisionsBefore = state.snapshot().decisionCount();
        for (int i = 0; i < 1000; i++) {
            String previous = control.switchPolicy(cycle[i % cycle.length], i % 101);
            assertEquals(i == 0 ? "interference-aware" : cycle[(i - 1) % cycle.length], previous);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long decisions = state.snapshot().decisionCount() - decisionsBefore;
        assertTrue(decisions > 0, "no decisions during the switching");
        assertEquals("interference-aware", control.active().name());
        assertEquals(Health.NORMAL, state.snapshot().health(), state.snapshot().healthReason());
        // The switching must have run under load, not in a pause of the plant.
        assertTrue(decisions / seconds > 10_000 || seconds < 0.05,
                "only " + (long) (decisions / seconds) + " decisions/s during " + seconds + " s of switching");
    }

    /** A policy "installed" at runtime: one queue for everything, to be recognisable. */
    static final class OneQueue implements SchedulingPolicy, Placement {
        @Override
        public String name() {
            return "one-queue";
        }

        @Override
        public Placement configure(double overlapPercent) {
            return this;
        }

        @Override
        public String policyName() {
            return "one-queue";
        }

        @Override
        public double overlapPercent() {
            return 0;
        }

        @Override
        public int place(VcpuView ready, SchedulerView view) {
            return 0;
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

    @Test
    void aPolicyServiceCanComeAndGoWhileDeciding() throws Exception {
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(SchedulingPolicy.NAME_PROPERTY, "one-queue");
        ServiceRegistration<SchedulingPolicy> reg = context.registerService(SchedulingPolicy.class, new OneQueue(), props);
        try {
            waitFor(() -> control.available().contains("one-queue"), "new policy available");
            assertThrows(IllegalArgumentException.class, () -> control.switchPolicy("one-queue", 150));
            control.switchPolicy("one-queue", 0);
            waitFor(() -> state.snapshot().pcpus().stream().skip(1).allMatch(p -> p.runningVcpu().isEmpty()),
                    "only pCPU 0 runs vCPUs");
        } finally {
            reg.unregister();
        }
        waitFor(() -> state.snapshot().health() == Health.OFF_SPEC, "fallback reported");
        assertEquals("shortest-queue", control.active().name());
        assertEquals("one-queue", control.active().configured());
        long decisions = state.snapshot().decisionCount();
        waitFor(() -> state.snapshot().decisionCount() > decisions + 50, "still deciding on the fallback");
        List<String> available = new ArrayList<>(control.available());
        assertFalse(available.contains("one-queue"));
        assertNotEquals(Health.FAILURE, state.snapshot().health());
    }
}
