package io.isochron.opcua.internal;

import io.isochron.api.runtime.JitterSource;
import io.isochron.api.runtime.JitterStats;
import io.isochron.api.runtime.PolicyControl;
import io.isochron.api.runtime.SchedulerStateSource;
import io.isochron.api.runtime.TelemetryBuffer;
import io.isochron.config.ConfigGuard;
import java.io.File;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The OPC UA server of the appliance. Runs with defaults when there is no configuration, or when the
 * first one is rejected; a configuration change restarts the server in place, a rejected one leaves
 * the running server alone.
 */
@Designate(ocd = OpcUaConfig.class)
@Component(configurationPid = OpcUaConfig.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL, service = {},
        immediate = true)
public class OpcUaServerComponent {
    private static final System.Logger LOG = System.getLogger(OpcUaConfig.PID);

    @Reference
    SchedulerStateSource state;

    @Reference
    PolicyControl control;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile JitterSource jitterSource;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile TelemetryBuffer telemetryBuffer;

    private ConfigGuard<OpcUaConfig, ServerSettings> guard;
    private ServerSettings settings;
    private IsochronServer server;

    @Activate
    synchronized void activate(BundleContext context, Map<String, Object> properties) {
        String var = context.getProperty("isochron.var");
        File data = context.getDataFile("opcua-pki");
        Path defaultPkiDir = var != null && !var.isBlank() ? Path.of(var, "opcua", "pki")
                : data != null ? data.toPath() : Path.of("opcua-pki");
        guard = ConfigGuard.of(OpcUaConfig.PID, OpcUaConfig.class, c -> ServerSettings.from(c, defaultPkiDir));
        apply(guard.initial(properties));
    }

    @Modified
    synchronized void modified(Map<String, Object> properties) {
        guard.update(properties).ifPresent(this::apply);
    }

    @Deactivate
    synchronized void deactivate() {
        stop();
        guard.close();
        IsochronServer.releaseGlobalResources();
    }

    private void apply(ServerSettings next) {
        if (server != null && next.equals(settings)) {
            return;
        }
        stop();
        settings = next;
        try {
            server = IsochronServer.start(next, state, control, this::jitter, () -> {
                TelemetryBuffer b = telemetryBuffer;
                return b == null ? null : b.stats();
            });
            LOG.log(Level.INFO, "OPC UA server listening: {0} (PKI {1})", String.join(" ", server.endpointUrls()),
                    next.pkiDir());
        } catch (Exception e) {
            LOG.log(Level.ERROR, "{0}: OPC UA server not started: {1}", OpcUaConfig.PID, e.getMessage());
        }
    }

    private List<JitterStats> jitter() {
        JitterSource j = jitterSource;
        return j == null ? List.of() : j.jitter();
    }

    private void stop() {
        if (server != null) {
            try {
                server.close();
            } catch (Exception e) {
                LOG.log(Level.WARNING, "OPC UA server did not stop cleanly: " + e);
            }
            server = null;
        }
    }
}
