package io.isochron.sim.hypervisor;

import io.isochron.api.runtime.HypervisorBridge;
import io.isochron.config.ConfigGuard;
import io.isochron.sim.scenario.Scenario;
import io.isochron.sim.scenario.ScenarioException;
import io.isochron.sim.scenario.ScenarioLoader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Map;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The sim profile's hypervisor: registers a {@link HypervisorBridge} that plays a scenario. A new
 * configuration replaces the bridge (the scheduler re-attaches, keeping its own policy and settings);
 * a rejected one is reported by its {@link ConfigGuard} and the running bridge stays (at boot: the
 * built-in default plant).
 */
@Designate(ocd = SimulatedHypervisorConfig.class)
@Component(configurationPid = SimulatedHypervisor.PID, immediate = true, service = {})
public class SimulatedHypervisor {
    static final String PID = "io.isochron.sim.hypervisor";
    static final String DEFAULT_SCENARIO = "default-plant.yaml";

    private final ConfigGuard<SimulatedHypervisorConfig, SimulatedBridge> guard =
            ConfigGuard.of(PID, SimulatedHypervisorConfig.class, SimulatedHypervisor::create);
    private BundleContext context;
    private ServiceRegistration<HypervisorBridge> registration;

    @Activate
    synchronized void activate(BundleContext ctx, Map<String, Object> properties) {
        this.context = ctx;
        register(guard.initial(properties));
    }

    @Modified
    synchronized void modified(Map<String, Object> properties) {
        guard.update(properties).ifPresent(this::register);
    }

    @Deactivate
    synchronized void deactivate() {
        unregister();
        guard.close();
    }

    /** Registers the new bridge before the old one goes: the scheduler moves straight from one to the other. */
    private void register(SimulatedBridge bridge) {
        ServiceRegistration<HypervisorBridge> previous = registration;
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(HypervisorBridge.NAME_PROPERTY, bridge.name());
        props.put("isochron.scenario", bridge.scenario().name());
        props.put("isochron.sim.timeScale", bridge.timeScale());
        registration = context.registerService(HypervisorBridge.class, bridge, props);
        unregister(previous);
    }

    private void unregister() {
        unregister(registration);
        registration = null;
    }

    private static void unregister(ServiceRegistration<HypervisorBridge> r) {
        if (r != null) {
            try {
                r.unregister();
            } catch (IllegalStateException alreadyGone) {
                // the framework is stopping
            }
        }
    }

    /** @throws IllegalArgumentException naming the bad property and what is allowed */
    static SimulatedBridge create(SimulatedHypervisorConfig config) {
        double scale = config.timeScale();
        if (!(scale >= 0.001 && scale <= 1000)) {
            throw new IllegalArgumentException("property 'timeScale' = " + scale + " is outside the allowed range 0.001..1000");
        }
        return new SimulatedBridge(load(config.scenario()), scale, config.repeat());
    }

    static Scenario load(String file) {
        try {
            if (file == null || file.isBlank()) {
                try (InputStream in = SimulatedHypervisor.class.getResourceAsStream(DEFAULT_SCENARIO)) {
                    if (in == null) {
                        throw new IllegalStateException("built-in scenario " + DEFAULT_SCENARIO + " is missing from the bundle");
                    }
                    return ScenarioLoader.parse(DEFAULT_SCENARIO, new String(in.readAllBytes(), StandardCharsets.UTF_8));
                }
            }
            return ScenarioLoader.load(Path.of(file.trim()));
        } catch (ScenarioException e) {
            throw new IllegalArgumentException("property 'scenario': " + e.getMessage());
        } catch (IOException e) {
            throw new IllegalArgumentException("property 'scenario': cannot read the built-in scenario: " + e);
        }
    }
}
