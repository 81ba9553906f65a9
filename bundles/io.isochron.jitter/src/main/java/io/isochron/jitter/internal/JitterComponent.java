package io.isochron.jitter.internal;

import io.isochron.api.runtime.GuestJitterSink;
import io.isochron.api.runtime.JitterSource;
import io.isochron.api.runtime.JitterStats;
import io.isochron.config.ConfigGuard;
import io.isochron.jitter.CyclictestHostSource;
import io.isochron.jitter.CyclictestProcess;
import io.isochron.jitter.HostSource;
import io.isochron.jitter.JitterMonitor;
import io.isochron.jitter.NativeHostSource;
import io.isochron.jitter.NativeProbe;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The jitter monitor of the appliance: starts the configured host source, closes a window every
 * {@code windowSeconds}, and takes the guests' reports from the hypervisor bridge. A rejected
 * configuration keeps the last good one measuring (at boot: the defaults); a source that cannot run
 * as configured (no SCHED_FIFO, no cyclictest) is reported through {@link #offSpec()}, never by
 * failing the component.
 */
@Designate(ocd = JitterConfig.class)
@Component(configurationPid = JitterComponent.PID, service = {JitterSource.class, GuestJitterSink.class}, immediate = true)
public class JitterComponent implements JitterSource, GuestJitterSink {
    static final String PID = "io.isochron.jitter";
    private static final System.Logger LOG = System.getLogger(PID);

    private final ConfigGuard<JitterConfig, JitterConfig> guard =
            ConfigGuard.of(PID, JitterConfig.class, JitterComponent::validate);
    private volatile JitterMonitor monitor = new JitterMonitor(null, JitterMonitor.Limits.NONE);
    private ScheduledExecutorService windows;

    @Activate
    synchronized void activate(Map<String, Object> properties) {
        start(guard.initial(properties));
    }

    @Modified
    synchronized void modified(Map<String, Object> properties) {
        guard.update(properties).ifPresent(c -> {
            stop();
            start(c);
        });
    }

    @Deactivate
    synchronized void deactivate() {
        stop();
        guard.close();
    }

    private void start(JitterConfig c) {
        String problem = "";
        HostSource host = null;
        try {
            host = switch (source(c)) {
                case "native" -> NativeHostSource.start(new NativeProbe.Settings(c.intervalMicros(),
                        c.priority() > 0 ? NativeProbe.SCHED_FIFO : NativeProbe.SCHED_OTHER, c.priority(), c.cpu(),
                        histogramMicros(c.intervalMicros()), c.lockMemory()));
                case "cyclictest" -> CyclictestProcess.locate(c.cyclictestPath()).isPresent()
                        ? new CyclictestHostSource(c.cyclictestPath(), c.intervalMicros(), c.priority(), c.cpu())
                        : null;
                default -> null;
            };
            if (host == null && source(c).equals("cyclictest")) {
                problem = "source cyclictest selected but '" + c.cyclictestPath()
                        + "' is not installed (Debian package rt-tests); no host jitter";
            }
        } catch (Exception | UnsatisfiedLinkError e) {
            problem = "host probe could not start: " + e.getMessage();
        }
        if (!problem.isEmpty()) {
            LOG.log(Level.ERROR, problem);
        } else if (host != null) {
            LOG.log(Level.INFO, "host jitter from {0} every {1} µs, windows of {2} s", host.name(), c.intervalMicros(),
                    c.windowSeconds());
        }
        JitterMonitor m = new JitterMonitor(host, new JitterMonitor.Limits(c.p99LimitMicros(), c.maxLimitMicros()));
        m.setProblem(problem);
        monitor = m;
        long window = c.windowSeconds();
        windows = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "isochron-jitter-windows");
            t.setDaemon(true);
            return t;
        });
        windows.scheduleAtFixedRate(() -> {
            try {
                m.closeWindow();
            } catch (RuntimeException e) {
                m.setProblem("window could not be closed: " + e);
            }
        }, window, window, TimeUnit.SECONDS);
    }

    private void stop() {
        if (windows != null) {
            windows.shutdownNow();
            windows = null;
        }
        monitor.close();
    }

    /** Latencies up to 10 cycles (at least 10 ms) get a 1 µs bucket; above that the overflow. */
    static int histogramMicros(long intervalMicros) {
        return (int) Math.max(10_000, 10 * intervalMicros);
    }

    /** @throws IllegalArgumentException naming the property, its value and what is allowed */
    static JitterConfig validate(JitterConfig c) {
        String bad = null;
        if (c.intervalMicros() < NativeProbe.MIN_INTERVAL_MICROS || c.intervalMicros() > NativeProbe.MAX_INTERVAL_MICROS) {
            bad = "property 'intervalMicros' = " + c.intervalMicros() + " is outside " + NativeProbe.MIN_INTERVAL_MICROS
                    + ".." + NativeProbe.MAX_INTERVAL_MICROS;
        } else if (c.priority() < 0 || c.priority() > 99) {
            bad = "property 'priority' = " + c.priority() + " is outside 0..99";
        } else if (c.cpu() < -1) {
            bad = "property 'cpu' = " + c.cpu() + " is not a CPU number (-1: no pinning)";
        } else if (c.windowSeconds() < 1 || c.windowSeconds() > 3600) {
            bad = "property 'windowSeconds' = " + c.windowSeconds() + " is outside 1..3600";
        } else if (!(c.p99LimitMicros() >= 0)) {
            bad = "property 'p99LimitMicros' = " + c.p99LimitMicros() + " must be >= 0 µs (0: no limit)";
        } else if (!(c.maxLimitMicros() >= 0)) {
            bad = "property 'maxLimitMicros' = " + c.maxLimitMicros() + " must be >= 0 µs (0: no limit)";
        } else if (!List.of("native", "cyclictest", "off").contains(source(c))) {
            bad = "property 'source' = '" + c.source() + "' is not a source (allowed: native, cyclictest, off)";
        }
        if (bad != null) {
            throw new IllegalArgumentException(bad);
        }
        return c;
    }

    private static String source(JitterConfig c) {
        return c.source() == null ? "" : c.source().trim().toLowerCase(java.util.Locale.ROOT);
    }

    @Override
    public List<JitterStats> jitter() {
        return monitor.jitter();
    }

    @Override
    public String offSpec() {
        return monitor.offSpec();
    }

    @Override
    public void report(String vm, long cycleMicros, int[] latencyMicros, int count, long overruns) {
        monitor.report(vm, cycleMicros, latencyMicros, count, overruns);
    }

    @Override
    public void remove(String vm) {
        monitor.remove(vm);
    }
}
