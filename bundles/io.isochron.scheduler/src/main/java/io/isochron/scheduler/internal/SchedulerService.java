package io.isochron.scheduler.internal;

import io.isochron.api.runtime.Health;
import io.isochron.api.runtime.HypervisorBridge;
import io.isochron.api.runtime.JitterSource;
import io.isochron.api.runtime.PolicyControl;
import io.isochron.api.runtime.SchedulerState;
import io.isochron.api.runtime.SchedulerStateSource;
import io.isochron.api.scheduling.Placement;
import io.isochron.api.scheduling.SchedulingPolicy;
import io.isochron.scheduler.core.InterferenceAware;
import io.isochron.scheduler.core.Policies;
import io.isochron.scheduler.core.ShortestQueue;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The running scheduler: attaches to the hypervisor bridge, decides with the policy named in its
 * configuration (a {@link SchedulingPolicy} whiteboard service), and is the one place where the
 * policy changes — from ConfigAdmin, the shell, OPC UA or MQTT through {@link PolicyControl}.
 *
 * <p>If the configured policy's service goes away, it falls back to the built-in
 * {@code shortest-queue}, keeps deciding and reports {@link Health#OFF_SPEC}; when the service comes
 * back it is used again. A configuration naming an unknown policy or an overlap outside 0..100 is
 * rejected with a log line and {@link Health#CHECK_FUNCTION}; the last good one stays in force.
 */
@Designate(ocd = SchedulerConfig.class)
@Component(configurationPid = SchedulerService.PID, service = {PolicyControl.class, SchedulerStateSource.class},
        immediate = true)
public class SchedulerService implements PolicyControl, SchedulerStateSource {
    static final String PID = "io.isochron.scheduler";
    private static final System.Logger LOG = System.getLogger(PID);

    private final Map<String, SchedulingPolicy> policies = new ConcurrentHashMap<>();
    private final Object lifecycle = new Object();

    // Guarded by lifecycle; read without it through the volatile fields.
    private volatile String configuredPolicy = InterferenceAware.NAME;
    private volatile double configuredOverlap;
    private volatile Placement active = new ShortestQueue();
    private volatile String rejected;
    private volatile Engine engine;
    private volatile HypervisorBridge bridge;
    private volatile JitterSource jitter;
    private long windowNanos = 1_000_000_000L;
    private volatile ConfigurationAdmin configAdmin;
    /** Decisions made with bridges attached before the current one, so that the count never goes back. */
    private volatile long earlierDecisions;
    private BundleContext context;

    @Activate
    void activate(BundleContext context, SchedulerConfig config) {
        synchronized (lifecycle) {
            this.context = context;
            applyConfig(config);
            HypervisorBridge b = bridge;
            if (b != null && engine == null) {
                attach(b);
            }
        }
    }

    @Modified
    void modified(SchedulerConfig config) {
        synchronized (lifecycle) {
            applyConfig(config);
        }
    }

    @Deactivate
    void deactivate() {
        synchronized (lifecycle) {
            detach();
        }
    }

    // ---- references ----

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    public void addPolicy(SchedulingPolicy policy) {
        policies.put(policy.name(), policy);
        synchronized (lifecycle) {
            if (policy.name().equals(configuredPolicy) && !active.policyName().equals(configuredPolicy)) {
                LOG.log(Level.INFO, "configured policy ''{0}'' is registered; deciding with it instead of {1}",
                        policy.name(), active.policyName());
                install(policy.configure(configuredOverlap));
            }
        }
    }

    public void removePolicy(SchedulingPolicy policy) {
        policies.remove(policy.name(), policy);
        synchronized (lifecycle) {
            if (policy.name().equals(active.policyName()) && !policies.containsKey(policy.name())) {
                if (!shuttingDown() && !policy.name().equals(ShortestQueue.NAME)) {
                    LOG.log(Level.WARNING, "active policy ''{0}'' was unregistered; falling back to {1}",
                            policy.name(), ShortestQueue.NAME);
                }
                install(fallback());
            }
        }
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    public void setBridge(HypervisorBridge b) {
        synchronized (lifecycle) {
            detach();
            bridge = b;
            attach(b);
        }
    }

    public void unsetBridge(HypervisorBridge b) {
        synchronized (lifecycle) {
            if (bridge == b) {
                detach();
                bridge = null;
            }
        }
    }

    /** The jitter monitor, when one runs: its limits decide OFF_SPEC (health only; it never affects decisions). */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void setJitter(JitterSource j) {
        jitter = j;
    }

    void unsetJitter(JitterSource j) {
        if (jitter == j) {
            jitter = null;
        }
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    void setConfigAdmin(ConfigurationAdmin ca) {
        configAdmin = ca;
    }

    void unsetConfigAdmin(ConfigurationAdmin ca) {
        if (configAdmin == ca) {
            configAdmin = null;
        }
    }

    // ---- PolicyControl ----

    @Override
    public String switchPolicy(String policy, double overlapPercent) {
        String previous;
        synchronized (lifecycle) {
            String problem = validate(policy, overlapPercent, true);
            if (problem != null) {
                throw new IllegalArgumentException(problem);
            }
            previous = active.policyName();
            configuredPolicy = policy;
            configuredOverlap = overlapPercent;
            rejected = null;
            install(policies.get(policy).configure(overlapPercent));
            // Under the lock, so that the stored configuration follows the switches in order.
            persist(policy, overlapPercent);
        }
        LOG.log(Level.INFO, "policy switched from {0} to {1} (overlap {2} %)", previous, policy, overlapPercent);
        return previous;
    }

    @Override
    public ActivePolicy active() {
        Placement p = active;
        return new ActivePolicy(p.policyName(), p.overlapPercent(), configuredPolicy);
    }

    @Override
    public List<String> available() {
        return Collections.unmodifiableList(new ArrayList<>(new TreeSet<>(policies.keySet())));
    }

    // ---- SchedulerStateSource ----

    @Override
    public SchedulerState snapshot() {
        Engine e = engine;
        Placement p = active;
        Engine.Snapshot s = e == null ? null : e.read();
        Health health;
        String reason;
        String bridgeProblem;
        String jitterProblem;
        if (e == null) {
            health = Health.FAILURE;
            reason = "no hypervisor bridge attached: nothing is scheduled";
        } else if (rejected != null) {
            health = Health.CHECK_FUNCTION;
            reason = rejected;
        } else if (!(bridgeProblem = bridgeProblem(e)).isEmpty()) {
            health = Health.CHECK_FUNCTION;
            reason = "hypervisor bridge '" + e.bridgeName() + "': " + bridgeProblem;
        } else if (!p.policyName().equals(configuredPolicy)) {
            health = Health.OFF_SPEC;
            reason = "configured policy '" + configuredPolicy + "' is not available; deciding with "
                    + p.policyName();
        } else if (!(jitterProblem = jitterOffSpec()).isEmpty()) {
            health = Health.OFF_SPEC;
            reason = "jitter: " + jitterProblem;
        } else if (!s.recentFault().isEmpty()) {
            health = Health.MAINTENANCE_REQUIRED;
            reason = "hypervisor bridge could not apply decisions (" + s.bridgeFaults() + " so far); last: "
                    + s.recentFault();
        } else {
            health = Health.NORMAL;
            reason = "";
        }
        return new SchedulerState(System.currentTimeMillis(), e == null ? "" : e.bridgeName(), p.policyName(),
                p.overlapPercent(), configuredPolicy, earlierDecisions + (s == null ? 0 : s.decisions()),
                s == null ? 0 : s.latencyP99Micros(), health, reason, s == null ? List.of() : s.pcpus(),
                s == null ? List.of() : s.vcpus(), s == null ? List.of() : s.components());
    }

    // ---- internals, called with lifecycle held ----

    private void applyConfig(SchedulerConfig config) {
        String policy = config.policy() == null ? "" : config.policy().trim();
        double overlap = config.overlapPercent();
        if (isStale(policy, overlap)) {
            return;
        }
        String problem = validate(policy, overlap, false);
        long window = config.windowMillis();
        if (problem == null && (window < 100 || window > 60_000)) {
            problem = "property 'windowMillis' = " + window + " is outside the allowed range 100..60000";
        }
        if (problem != null) {
            rejected = "configuration " + PID + " rejected: " + problem + "; keeping policy '" + configuredPolicy
                    + "' with overlapPercent " + configuredOverlap;
            LOG.log(Level.ERROR, rejected);
            return;
        }
        rejected = null;
        if (window * 1_000_000L != windowNanos) {
            windowNanos = window * 1_000_000L;
            Engine e = engine;
            if (e != null) {
                e.setWindow(windowNanos);
            }
        }
        // The active placement of the configured policy was always made with configuredOverlap.
        if (policy.equals(configuredPolicy) && overlap == configuredOverlap && active.policyName().equals(policy)) {
            return; // e.g. the echo of our own switchPolicy()
        }
        configuredPolicy = policy;
        configuredOverlap = overlap;
        SchedulingPolicy service = policies.get(policy);
        if (service == null) {
            LOG.log(Level.WARNING, "policy ''{0}'' is configured but not registered (yet); deciding with {1} meanwhile",
                    policy, ShortestQueue.NAME);
            install(fallback());
        } else {
            install(service.configure(overlap));
            LOG.log(Level.INFO, "policy {0} (overlap {1} %) from configuration {2}", policy, overlap, PID);
        }
    }

    /**
     * @param mustBeRegistered true for an interactive switch (the service must be there now);
     *     configuration may also name a built-in policy whose service has not registered yet
     * @return a one-line problem naming property, value and what is allowed, or null
     */
    private String validate(String policy, double overlap, boolean mustBeRegistered) {
        if (!(overlap >= 0 && overlap <= 100)) {
            return "property 'overlapPercent' = " + overlap + " is outside the allowed range 0..100";
        }
        boolean known = policy != null
                && (policies.containsKey(policy) || (!mustBeRegistered && Policies.NAMES.contains(policy)));
        if (!known) {
            TreeSet<String> allowed = new TreeSet<>(policies.keySet());
            if (!mustBeRegistered) {
                allowed.addAll(Policies.NAMES);
            }
            return "property 'policy' = '" + policy + "' is not a registered policy (allowed: "
                    + String.join(", ", allowed) + ")";
        }
        return null;
    }

    private static String bridgeProblem(Engine e) {
        try {
            String p = e.bridge().problem();
            return p == null ? "" : p;
        } catch (RuntimeException ex) {
            return "status unavailable: " + ex;
        }
    }

    private String jitterOffSpec() {
        JitterSource j = jitter;
        if (j == null) {
            return "";
        }
        try {
            String reason = j.offSpec();
            return reason == null ? "" : reason;
        } catch (RuntimeException ex) {
            return "status unavailable: " + ex;
        }
    }

    /** True while our bundle or the framework stops: services going away then is no news. */
    private boolean shuttingDown() {
        BundleContext ctx = context;
        if (ctx == null) {
            return false;
        }
        try {
            return ctx.getBundle().getState() == Bundle.STOPPING || ctx.getBundle(0).getState() == Bundle.STOPPING;
        } catch (IllegalStateException invalidContext) {
            return true;
        }
    }

    private Placement fallback() {
        SchedulingPolicy sq = policies.get(ShortestQueue.NAME);
        return sq != null ? sq.configure(0) : new ShortestQueue();
    }

    private void install(Placement p) {
        active = p;
        Engine e = engine;
        if (e != null) {
            e.setPlacement(p);
        }
    }

    private void attach(HypervisorBridge b) {
        Engine e = new Engine(b, active, windowNanos);
        engine = e;
        try {
            b.attach(e);
            LOG.log(Level.INFO, "attached to hypervisor bridge ''{0}'' with {1} pCPUs, policy {2}", b.name(),
                    b.pcpuCount(), active.policyName());
        } catch (RuntimeException ex) {
            engine = null;
            LOG.log(Level.ERROR, "hypervisor bridge '" + b.name() + "' failed to attach: " + ex, ex);
        }
    }

    private void detach() {
        Engine e = engine;
        if (e != null) {
            engine = null;
            try {
                e.bridge().detach(e);
            } catch (RuntimeException ex) {
                LOG.log(Level.WARNING, "hypervisor bridge '" + e.bridgeName() + "' failed to detach: " + ex);
            } finally {
                earlierDecisions += e.read().decisions();
            }
        }
    }

    /** Makes an interactive switch the configured policy, so that it survives a restart. */
    private void persist(String policy, double overlap) {
        ConfigurationAdmin ca = configAdmin;
        if (ca == null) {
            return;
        }
        try {
            Configuration c = ca.getConfiguration(PID, "?");
            Dictionary<String, Object> props = c.getProperties();
            if (props == null) {
                props = new Hashtable<>();
            }
            props.put("policy", policy);
            props.put("overlapPercent", overlap);
            c.updateIfDifferent(props);
        } catch (IOException | RuntimeException ex) {
            LOG.log(Level.WARNING, String.format(Locale.ROOT,
                    "could not store the switch to %s in configuration %s: %s", policy, PID, ex));
        }
    }

    /**
     * A configuration event is stale when ConfigAdmin already holds other values: switches write the
     * configuration, and the events of rapid switches can arrive after a newer one. The newest
     * event carries what ConfigAdmin holds, so skipping stale ones never loses a change.
     */
    private boolean isStale(String policy, double overlap) {
        ConfigurationAdmin ca = configAdmin;
        if (ca == null) {
            return false;
        }
        try {
            Configuration[] stored = ca.listConfigurations("(service.pid=" + PID + ")");
            if (stored == null || stored.length != 1 || stored[0].getProperties() == null) {
                return false;
            }
            Dictionary<String, Object> props = stored[0].getProperties();
            Object storedPolicy = props.get("policy");
            Object storedOverlap = props.get("overlapPercent");
            boolean samePolicy = storedPolicy == null || policy.equals(String.valueOf(storedPolicy).trim());
            boolean sameOverlap = storedOverlap == null || (storedOverlap instanceof Number n && n.doubleValue() == overlap)
                    || String.valueOf(storedOverlap).trim().equals(Double.toString(overlap));
            return !(samePolicy && sameOverlap);
        } catch (IOException | org.osgi.framework.InvalidSyntaxException | RuntimeException e) {
            return false;
        }
    }
}
