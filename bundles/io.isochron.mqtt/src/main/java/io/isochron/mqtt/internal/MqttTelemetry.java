package io.isochron.mqtt.internal;

import io.isochron.api.runtime.JitterSource;
import io.isochron.api.runtime.PolicyControl;
import io.isochron.api.runtime.SchedulerStateSource;
import io.isochron.api.runtime.TelemetryBuffer;
import io.isochron.api.runtime.TelemetryBufferStats;
import io.isochron.config.ConfigGuard;
import io.isochron.config.SecretFile;
import io.isochron.mqtt.sparkplug.SparkplugEdgeNode;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;

/**
 * MQTT telemetry of the appliance (PID {@code io.isochron.mqtt}). Runs without a configuration
 * (a local broker on port 1883, Sparkplug B), so a fresh box publishes out of the box. A rejected
 * configuration is reported in one log line naming the property, the value and what is allowed;
 * publishing goes on with the last good one (at boot: the defaults). A new configuration restarts
 * the publisher; the buffer is kept.
 */
@Designate(ocd = MqttConfig.class)
@Component(configurationPid = MqttTelemetry.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL, immediate = true,
        service = TelemetryBuffer.class)
public class MqttTelemetry implements TelemetryBuffer {
    static final String PID = "io.isochron.mqtt";
    private static final System.Logger LOG = System.getLogger(PID);

    @Reference
    private SchedulerStateSource state;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile PolicyControl control;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile JitterSource jitter;

    private ConfigGuard<MqttConfig, TelemetryPublisher.Options> guard;
    private volatile TelemetryPublisher publisher;

    @Activate
    synchronized void activate(BundleContext context, Map<String, Object> properties) {
        Path defaultBuffer = defaultBufferDirectory(context);
        guard = ConfigGuard.of(PID, MqttConfig.class, c -> options(c, defaultBuffer));
        start(guard.initial(properties));
    }

    @Modified
    synchronized void modified(Map<String, Object> properties) throws IOException, InterruptedException {
        Optional<TelemetryPublisher.Options> next = guard.update(properties);
        if (next.isPresent()) {
            stop();
            start(next.get());
        }
    }

    @Deactivate
    synchronized void deactivate() throws IOException, InterruptedException {
        stop();
        guard.close();
    }

    private void start(TelemetryPublisher.Options options) {
        try {
            publisher = new TelemetryPublisher(options, state::snapshot, () -> {
                JitterSource j = jitter;
                return j == null ? List.of() : j.jitter();
            }, () -> control);
            publisher.start();
        } catch (IOException e) {
            LOG.log(Level.ERROR, "MQTT telemetry is off: cannot open its buffer in " + options.bufferDirectory()
                    + ": " + e.getMessage());
        }
    }

    @Override
    public TelemetryBufferStats stats() {
        TelemetryPublisher p = publisher;
        return p == null ? new TelemetryBufferStats(0, 0, 0) : p.bufferStats();
    }

    private void stop() throws IOException, InterruptedException {
        if (publisher != null) {
            publisher.close();
            publisher = null;
        }
    }

    private static Path defaultBufferDirectory(BundleContext context) {
        String var = context.getProperty("isochron.var");
        if (var != null && !var.isEmpty()) {
            return Path.of(var, "mqtt");
        }
        return context.getDataFile("mqtt").toPath();
    }

    /** @throws IllegalArgumentException naming the property, the value and what is allowed */
    static TelemetryPublisher.Options options(MqttConfig c, Path defaultBuffer) {
        String uri = c.brokerUri().trim();
        boolean tls;
        try {
            URI u = new URI(uri);
            String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("tcp") && !scheme.equals("ssl") || u.getHost() == null) {
                throw bad("brokerUri", uri, "tcp://host:port or ssl://host:port");
            }
            tls = scheme.equals("ssl");
        } catch (URISyntaxException e) {
            throw bad("brokerUri", uri, "tcp://host:port or ssl://host:port");
        }
        String node = c.edgeNodeId().isBlank() ? hostName() : c.edgeNodeId().trim();
        check("groupId", c.groupId());
        check("edgeNodeId", node);
        if (c.publishIntervalMillis() < 100 || c.publishIntervalMillis() > 3_600_000) {
            throw bad("publishIntervalMillis", c.publishIntervalMillis(), "100..3600000");
        }
        if (!(c.maxChangeRateHz() >= 0.1 && c.maxChangeRateHz() <= 10)) {
            throw bad("maxChangeRateHz", c.maxChangeRateHz(), "0.1..10");
        }
        if (c.qos() != 1 && c.qos() != 2) {
            throw bad("qos", c.qos(), "1 or 2");
        }
        if (c.bufferMegabytes() < 1 || c.bufferMegabytes() > 65536) {
            throw bad("bufferMegabytes", c.bufferMegabytes(), "1..65536");
        }
        for (String[] file : new String[][] {{"tlsCaFile", c.tlsCaFile()}, {"tlsClientKeyStore", c.tlsClientKeyStore()}}) {
            if (!file[1].isEmpty() && !Files.isReadable(Path.of(file[1]))) {
                throw bad(file[0], file[1], "a readable file");
            }
        }
        javax.net.ssl.SSLSocketFactory sockets = null;
        if (tls) {
            try {
                sockets = TlsSockets.factory(c.tlsCaFile(), c.tlsClientKeyStore(),
                        secret(c.tlsClientKeyStorePassword(), "tlsClientKeyStorePassword",
                                c.tlsClientKeyStorePasswordFile(), "tlsClientKeyStorePasswordFile"));
            } catch (IOException | GeneralSecurityException e) {
                throw new IllegalArgumentException("TLS setup failed (tlsCaFile '" + c.tlsCaFile()
                        + "', tlsClientKeyStore '" + c.tlsClientKeyStore() + "'): " + e.getMessage(), e);
            }
        }
        String clientId = c.clientId().isBlank() ? "isochron-" + node : c.clientId().trim();
        Path buffer = c.bufferDirectory().isBlank() ? defaultBuffer : Path.of(c.bufferDirectory().trim());
        return new TelemetryPublisher.Options(uri, c.format(), c.groupId(), node, clientId,
                c.publishIntervalMillis(), Math.round(1000 / c.maxChangeRateHz()), c.qos(), c.username(),
                secret(c.password(), "password", c.passwordFile(), "passwordFile"), sockets, buffer, (long) c.bufferMegabytes() << 20, c.bufferSync(),
                c.commandsEnabled());
    }

    /** A secret given in the configuration, or (better) in a file of its own. */
    private static char[] secret(String value, String property, String file, String fileProperty) {
        if (file.isBlank()) {
            return value.toCharArray();
        }
        if (!value.isEmpty()) {
            throw new IllegalArgumentException("properties '" + property + "' and '" + fileProperty
                    + "' are both set (allowed: one of them)");
        }
        try {
            return SecretFile.firstLine(SecretFile.resolve(file.trim())).toCharArray();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("property '" + fileProperty + "' = '" + file + "' " + e.getMessage());
        }
    }

    private static void check(String property, String id) {
        try {
            SparkplugEdgeNode.checkId(property, id);
        } catch (IllegalArgumentException e) {
            throw bad(property, id, "non-empty, without '/', '+' or '#'");
        }
    }

    private static IllegalArgumentException bad(String property, Object value, String allowed) {
        String shown = value instanceof String ? "'" + value + "'" : String.valueOf(value);
        return new IllegalArgumentException("property '" + property + "' = " + shown + " is not allowed (allowed: "
                + allowed + ")");
    }

    /** This host's name, as a Sparkplug id: the first label, characters MQTT topics reserve replaced. */
    static String hostName() {
        String name = System.getenv("HOSTNAME");
        if (name == null || name.isBlank()) {
            try {
                name = Files.readString(Path.of("/etc/hostname")).trim();
            } catch (IOException e) {
                name = "";
            }
        }
        name = name.split("\\.", 2)[0].replaceAll("[/+#\\s]", "_");
        return name.isEmpty() ? "isochron" : name;
    }
}
