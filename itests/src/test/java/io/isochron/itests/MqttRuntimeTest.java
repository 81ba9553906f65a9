package io.isochron.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Dictionary;
import java.util.Hashtable;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;

/**
 * The MQTT bundle, with Paho, Tahu and protobuf embedded, resolves and starts in Felix, and its
 * component stays active and keeps buffering when the broker it is configured for is not there (the
 * broker itself is exercised by the unit tests and by hil-tests against the launched image).
 */
class MqttRuntimeTest {
    private static final long TIMEOUT_MS = 20_000;

    @InjectBundleContext
    BundleContext context;

    @InjectService(timeout = TIMEOUT_MS)
    ConfigurationAdmin configAdmin;

    @InjectService(timeout = TIMEOUT_MS)
    ServiceComponentRuntime scr;

    @Test
    void startsAndBuffersWhileTheBrokerIsAway() throws Exception {
        Bundle mqtt = bundle("io.isochron.mqtt");
        assertEquals(Bundle.ACTIVE, mqtt.getState(), "io.isochron.mqtt is active");

        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        Path buffer = Files.createTempDirectory("isochron-mqtt-itest");
        Configuration c = configAdmin.getConfiguration("io.isochron.mqtt", "?");
        Dictionary<String, Object> p = new Hashtable<>();
        p.put("brokerUri", "tcp://127.0.0.1:" + closedPort);
        p.put("bufferDirectory", buffer.toString());
        p.put("publishIntervalMillis", 100);
        c.update(p);
        try {
            long deadline = System.currentTimeMillis() + TIMEOUT_MS;
            while (!(active(mqtt) && hasBufferedData(buffer)) && System.currentTimeMillis() < deadline) {
                Thread.sleep(100);
            }
            assertTrue(active(mqtt), "MQTT component active with the broker away");
            assertTrue(hasBufferedData(buffer), "telemetry buffered on disk in " + buffer);
        } finally {
            c.delete();
        }
    }

    private boolean active(Bundle mqtt) {
        for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs(mqtt)) {
            Collection<ComponentConfigurationDTO> configs = scr.getComponentConfigurationDTOs(d);
            if (d.name.endsWith("MqttTelemetry") && configs.stream().anyMatch(cc -> cc.state == ComponentConfigurationDTO.ACTIVE
                    && String.valueOf(cc.properties.get("brokerUri")).startsWith("tcp://127.0.0.1:"))) {
                return true;
            }
        }
        return false;
    }

    private static boolean hasBufferedData(Path dir) throws Exception {
        try (var files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).anyMatch(f -> {
                try {
                    return f.getFileName().toString().startsWith("seg-") && Files.size(f) > 0;
                } catch (java.io.IOException e) {
                    return false;
                }
            });
        }
    }

    private Bundle bundle(String bsn) {
        for (Bundle b : context.getBundles()) {
            if (b.getSymbolicName().equals(bsn)) {
                return b;
            }
        }
        throw new AssertionError(bsn + " is not installed");
    }
}
