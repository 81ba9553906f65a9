package io.isochron.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isochron.api.runtime.GuestJitterSink;
import io.isochron.api.runtime.JitterSource;
import io.isochron.api.runtime.JitterStats;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;

/** The jitter monitor in the framework: its JNI library comes through Bundle-NativeCode. */
class JitterRuntimeTest {
    private static final long TIMEOUT_MS = 10_000;

    @InjectBundleContext
    BundleContext context;

    @Test
    void nativeProbeProducesHostStatsAndGuestReportsLandPerVm(
            @InjectService(timeout = TIMEOUT_MS) ConfigurationAdmin configAdmin,
            @InjectService(timeout = TIMEOUT_MS) JitterSource jitter,
            @InjectService(timeout = TIMEOUT_MS) GuestJitterSink guests) throws Exception {
        Bundle bundle = List.of(context.getBundles()).stream()
                .filter(b -> "io.isochron.jitter".equals(b.getSymbolicName())).findFirst().orElseThrow();
        assertEquals(Bundle.ACTIVE, bundle.getState());

        Configuration config = configAdmin.getConfiguration("io.isochron.jitter", "?");
        Dictionary<String, Object> props = new Hashtable<>();
        props.put("windowSeconds", 1);
        props.put("intervalMicros", 500L);
        config.update(props);
        try {
            JitterStats host = null;
            long end = System.currentTimeMillis() + TIMEOUT_MS;
            while (System.currentTimeMillis() < end) {
                List<JitterStats> stats = jitter.jitter();
                if (!stats.isEmpty() && stats.get(0).cycleMicros() == 500 && stats.get(0).samples() > 0) {
                    host = stats.get(0);
                    break;
                }
                Thread.sleep(100);
            }
            assertNotNull(host, () -> "no host window at 500 µs; offSpec: " + jitter.offSpec());
            assertEquals(JitterStats.HOST, host.source());
            JitterStats h = host;
            // one 1 s window at 2 kHz, allowing for a loaded machine
            assertTrue(h.samples() > 1000 && h.samples() <= 2100, () -> "samples " + h.samples());
            assertTrue(h.minMicros() <= h.p99Micros() && h.p99Micros() <= h.maxMicros(), h::toString);

            guests.report("plc", 1000, new int[] {4, 6, 8}, 3, 1);
            end = System.currentTimeMillis() + TIMEOUT_MS;
            JitterStats plc = null;
            while (plc == null && System.currentTimeMillis() < end) {
                plc = jitter.jitter().stream().filter(s -> s.source().equals("plc")).findFirst().orElse(null);
                Thread.sleep(100);
            }
            assertNotNull(plc, "guest report did not show up");
            assertEquals(new JitterStats("plc", 1000, 4, 6, 8, 8, 8, 3, 1), plc);
            guests.remove("plc");
        } finally {
            config.delete();
        }
    }
}
