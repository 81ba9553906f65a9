package io.isochron.scheduler.internal;

import io.isochron.api.runtime.Enforcement;
import io.isochron.api.runtime.HypervisorBridge;
import io.isochron.api.runtime.JitterSource;
import io.isochron.api.runtime.PolicyControl;
import io.isochron.api.runtime.SchedulerState;
import io.isochron.api.runtime.SchedulerStateSource;
import io.isochron.api.scheduling.Placement;
import io.isochron.api.scheduling.SchedulingPolicy;
import io.isochron.config.ConfigGuard;
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
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
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
 * The running scheduler: attaches to the hypervisor bridge and decides with the policy named in its
 * configuration (a {@link SchedulingPolicy} whiteboard service).
 *
 * <p>The configuration (PID {@value #PID}) is the one place the policy is set. ConfigAdmin updates
 * reach {@link #apply} through the {@link ConfigGuard}; an interactive switch ({@link PolicyControl}:
 * shell, OPC UA, MQTT) writes the configuration and returns once that update is in force — so it
 * survives a restart, and no configuration event can undo a newer switch. Without ConfigAdmin (tests,
 * benchmarks) a switch applies directly, through the same {@link #apply}.
 *
 * <p>If the configured policy's service goes away, it falls back to the built-in
 * {@code shortest-queue}, keeps deciding, and {@link HealthRules} reports it; when the service comes
 * back it is used again.
 */
@Designate(ocd = SchedulerConfig.class)
@Component(configurationPid = SchedulerService.PID, service = {PolicyControl.class, SchedulerStateSource.class},
        immediate = true)
public class SchedulerService implements PolicyControl, SchedulerStateSource {
    static final String PID = "io.isochron.scheduler";
    private static final System.Logger LOG = System.getLogger(PID);
    /** How long a switch waits for ConfigAdmin to deliver the configuration it wrote. */
    private static final long SWITCH_TIMEOUT_MILLIS = 5_000;

    /** A validated configuration. */
    record Settings(String policy, double overlapPercent, long windowNanos) {}

    private final Map<String, SchedulingPolicy> policies = new ConcurrentHashMap<>();
    private final Object lifecycle = new Object();
    /** Serialises interactive switches, each waiting for its own configuration update. */
    private final Object switching = new Object();
    private final ConfigGuard<SchedulerConfig, Settings> guard =
            ConfigGuard.of(PID, SchedulerConfig.class, this::validate);

    // Guarded by lifecycle; read without it through the volatile fields.
    private volatile Settings configured = new Settings(InterferenceAware.NAME, 0, 1_000_000_000L);
    private volatile Placement active = new ShortestQueue();
    private volatile Attachment attachment = new Attachment(null, 0);
    private volatile HypervisorBridge bridge;
    private volatile JitterSource jitter;
    private volatile ConfigurationAdmin configAdmin;

    /**
     * The engine deciding for the attached bridge (null when none is), with the decisions made under
     * bridges attached before it, so that the count never goes back. One volatile value, so that a
     * reader never pairs one bridge's engine with another's count.
     */
    private record Attachment(Engine engine, long earlierDecisions) {}

    private BundleContext context;
    /** What the host's start-up found wrong; Health reports it while this start lasts. */
    private volatile List<String> startProblems = List.of();

    @Activate
    void activate(BundleContext context, Map<String, Object> properties) {
        synchronized (lifecycle) {
            this.context = context;
            startProblems = StartProblems.read(context == null ? null : context.getProperty(StartProblems.PROPERTY));
            startProblems.forEach(p -> LOG.log(Level.ERROR, "start-up: " + p));
            apply(guard.initial(properties));
            HypervisorBridge b = bridge;
            if (b != null && attachment.engine() == null) {
                attach(b);
            }
        }
    }

    @Modified
    void modified(Map<String, Object> properties) {
        guard.update(properties).ifPresent(this::apply);
    }

    @Deactivate
    void deactivate() {
        synchronized (lifecycle) {
            detach();
        }
        guard.close();
    }

    // ---- references ----

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    public void addPolicy(SchedulingPolicy policy) {
        policies.put(policy.name(), policy);
        synchronized (lifecycle) {
            Settings c = configured;
            if (policy.name().equals(c.policy()) && !active.policyName().equals(c.policy())) {
                LOG.log(Level.INFO, "configured policy ''{0}'' is registered; deciding with it instead of {1}",
                        policy.name(), active.policyName());
                install(policy.configure(c.overlapPercent()));
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
        synchronized (switching) {
            if (!(overlapPercent >= 0 && overlapPercent <= 100)) {
                throw new IllegalArgumentException("property 'overlapPercent' = " + overlapPercent
                        + " is outside the allowed range 0..100");
            }
            if (policy == null || !policies.containsKey(policy)) {
                throw new IllegalArgumentException("property 'policy' = '" + policy
                        + "' is not a registered policy (allowed: " + String.join(", ", new TreeSet<>(policies.keySet()))
                        + ")");
            }
            String previous = active.policyName();
            Settings wanted = new Settings(policy, overlapPercent, configured.windowNanos());
            if (!storeAndAwait(wanted)) {
                apply(wanted);
            }
            LOG.log(Level.INFO, "policy switched from {0} to {1} (overlap {2} %)", previous, policy, overlapPercent);
            return previous;
        }
    }

    /**
     * Writes the switch into the configuration and waits until ConfigAdmin has delivered it to
     * {@link #modified}. False when there is nothing to wait for (no ConfigAdmin, the stored
     * configuration already says so, or it could not be written): the caller applies it itself.
     */
    private boolean storeAndAwait(Settings wanted) {
        ConfigurationAdmin ca = configAdmin;
        if (ca == null) {
            return false;
        }
        try {
            Configuration c = ca.getConfiguration(PID, "?");
            Dictionary<String, Object> props = c.getProperties();
            if (props == null) {
                props = new Hashtable<>();
            }
            props.put("policy", wanted.policy());
            props.put("overlapPercent", wanted.overlapPercent());
            if (!c.updateIfDifferent(props)) {
                return false;
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "could not store the switch to " + wanted.policy() + " in configuration " + PID
                    + " (" + e + "); it applies now but a restart returns to the stored configuration");
            return false;
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SWITCH_TIMEOUT_MILLIS);
        synchronized (lifecycle) {
            while (!isConfigured(wanted)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    LOG.log(Level.WARNING, "ConfigAdmin did not deliver the switch to " + wanted.policy() + " within "
                            + SWITCH_TIMEOUT_MILLIS + " ms; applying it directly");
                    return false;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(lifecycle, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        return true;
    }

    private boolean isConfigured(Settings s) {
        Settings c = configured;
        return c.policy().equals(s.policy()) && c.overlapPercent() == s.overlapPercent();
    }

    @Override
    public ActivePolicy active() {
        Placement p = active;
        return new ActivePolicy(p.policyName(), p.overlapPercent(), configured.policy());
    }

    @Override
    public List<String> available() {
        return Collections.unmodifiableList(new ArrayList<>(new TreeSet<>(policies.keySet())));
    }

    // ---- SchedulerStateSource ----

    @Override
    public SchedulerState snapshot() {
        Attachment a = attachment;
        Engine e = a.engine();
        Placement p = active;
        Engine.Snapshot s = e == null ? null : e.read();
        HealthRules.Verdict health = HealthRules.evaluate(new HealthRules.Inputs(e == null ? null : e.bridgeName(),
                startProblems, ConfigGuard.problems(), e == null ? "" : ask(e.bridge(), HypervisorBridge::problem),
                e == null ? "" : faults(e, s), configured.policy(), p.policyName(), jitterOffSpec()));
        return new SchedulerState(System.currentTimeMillis(), e == null ? "" : e.bridgeName(), p.policyName(),
                p.overlapPercent(), configured.policy(), a.earlierDecisions() + (s == null ? 0 : s.decisions()),
                s == null ? 0 : s.latencyP99Micros(), health.health(), health.reason(),
                s == null ? List.of() : s.pcpus(), s == null ? List.of() : s.vcpus(),
                s == null ? List.of() : s.components(), e == null ? NOT_ATTACHED : enforcement(e.bridge()));
    }

    private static final Enforcement NOT_ATTACHED = new Enforcement(Enforcement.NONE, "no hypervisor bridge attached", null);

    private static Enforcement enforcement(HypervisorBridge b) {
        try {
            Enforcement answer = b.enforcement();
            return answer == null ? new Enforcement(Enforcement.NONE, "", null) : answer;
        } catch (RuntimeException ex) {
            return new Enforcement(Enforcement.NONE, "status unavailable: " + ex, null);
        }
    }

    /** Decisions the bridge refused when told (counted here) and those it failed to apply on its own. */
    private static String faults(Engine e, Engine.Snapshot s) {
        String told = s.recentFault().isEmpty() ? ""
                : s.bridgeFaults() + " so far; last: " + s.recentFault();
        String own = ask(e.bridge(), HypervisorBridge::fault);
        return told.isEmpty() ? own : own.isEmpty() ? told : told + "; " + own;
    }

    private static String ask(HypervisorBridge b, Function<HypervisorBridge, String> question) {
        try {
            String answer = question.apply(b);
            return answer == null ? "" : answer;
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

    // ---- the one write path ----

    /** @throws IllegalArgumentException naming the property, the value and what is allowed */
    private Settings validate(SchedulerConfig c) {
        String policy = c.policy().trim();
        double overlap = c.overlapPercent();
        if (!(overlap >= 0 && overlap <= 100)) {
            throw new IllegalArgumentException("property 'overlapPercent' = " + overlap
                    + " is outside the allowed range 0..100");
        }
        // Configuration may name a built-in policy whose service has not registered yet.
        if (!policies.containsKey(policy) && !Policies.NAMES.contains(policy)) {
            TreeSet<String> allowed = new TreeSet<>(policies.keySet());
            allowed.addAll(Policies.NAMES);
            throw new IllegalArgumentException("property 'policy' = '" + policy + "' is not a registered policy "
                    + "(allowed: " + String.join(", ", allowed) + ")");
        }
        long window = c.windowMillis();
        if (window < 100 || window > 60_000) {
            throw new IllegalArgumentException("property 'windowMillis' = " + window
                    + " is outside the allowed range 100..60000");
        }
        return new Settings(policy, overlap, TimeUnit.MILLISECONDS.toNanos(window));
    }

    /** Puts a validated configuration in force; every change of the configured policy comes here. */
    private void apply(Settings next) {
        synchronized (lifecycle) {
            Settings before = configured;
            configured = next;
            if (next.windowNanos() != before.windowNanos()) {
                Engine e = attachment.engine();
                if (e != null) {
                    e.setWindow(next.windowNanos());
                }
            }
            boolean samePolicy = next.policy().equals(before.policy()) && next.overlapPercent() == before.overlapPercent();
            if (!samePolicy || !active.policyName().equals(next.policy())) {
                SchedulingPolicy service = policies.get(next.policy());
                if (service == null) {
                    LOG.log(Level.WARNING, "policy ''{0}'' is configured but not registered (yet); deciding with {1} "
                            + "meanwhile", next.policy(), ShortestQueue.NAME);
                    install(fallback());
                } else {
                    install(service.configure(next.overlapPercent()));
                }
            }
            lifecycle.notifyAll();
        }
    }

    // ---- internals, called with lifecycle held ----

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
        Engine e = attachment.engine();
        if (e != null) {
            e.setPlacement(p);
        }
    }

    /**
     * Hands scheduling to bridge {@code b}, detaching the one attached before. Readers see the old
     * engine until the new one is attached, never none: a bridge replaced by a new one (the KVM bridge
     * does that whenever a guest comes or goes) is not a moment without a bridge.
     */
    private void attach(HypervisorBridge b) {
        long earlier = retire(attachment);
        Engine e = new Engine(b, active, configured.windowNanos());
        try {
            b.attach(e);
            attachment = new Attachment(e, earlier);
            LOG.log(Level.INFO, "attached to hypervisor bridge ''{0}'' with {1} pCPUs, policy {2}", b.name(),
                    b.pcpuCount(), active.policyName());
        } catch (RuntimeException ex) {
            attachment = new Attachment(null, earlier);
            LOG.log(Level.ERROR, "hypervisor bridge '" + b.name() + "' failed to attach: " + ex, ex);
        }
    }

    private void detach() {
        attachment = new Attachment(null, retire(attachment));
    }

    /** Detaches the attachment's engine from its bridge; @return all decisions made up to now. */
    private static long retire(Attachment a) {
        Engine e = a.engine();
        if (e == null) {
            return a.earlierDecisions();
        }
        try {
            e.bridge().detach(e);
        } catch (RuntimeException ex) {
            LOG.log(Level.WARNING, "hypervisor bridge '" + e.bridgeName() + "' failed to detach: " + ex);
        }
        return a.earlierDecisions() + e.read().decisions();
    }
}
