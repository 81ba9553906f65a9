package io.isochron.log.internal;

import io.isochron.config.ConfigGuard;
import java.util.Map;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;

/**
 * Opens the appliance's log when the bundle starts — on start level 1, with the Log Service, before
 * the other bundles (and SCR) — with the default levels; {@link ConsoleLog} applies the configured
 * ones once SCR runs.
 */
public final class LogActivator implements BundleActivator {
    private static volatile LogSink sink;

    @Override
    public void start(BundleContext context) {
        LogSink s = new LogSink(new LogWriter(System.err), defaults());
        s.open(context);
        sink = s;
    }

    @Override
    public void stop(BundleContext context) {
        LogSink s = sink;
        sink = null;
        if (s != null) {
            s.close();
        }
    }

    /** The open log, or null while the bundle is not started. */
    static LogSink sink() {
        return sink;
    }

    static LogLevels defaults() {
        ConfigGuard<LogConfig, LogLevels> g = ConfigGuard.of(ConsoleLog.PID, LogConfig.class, LogLevels::from);
        try {
            return g.initial(Map.of());
        } finally {
            g.close();
        }
    }
}
