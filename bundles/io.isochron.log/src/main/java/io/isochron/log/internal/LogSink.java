package io.isochron.log.internal;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.logging.Handler;
import java.util.logging.Logger;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.log.LogEntry;
import org.osgi.service.log.LogLevel;
import org.osgi.service.log.LogListener;
import org.osgi.service.log.LogReaderService;
import org.osgi.service.log.admin.LoggerAdmin;
import org.osgi.util.tracker.ServiceTracker;
import org.osgi.util.tracker.ServiceTrackerCustomizer;

/**
 * The appliance's log: Java logging and the OSGi Log Service (framework events, SCR, the
 * Configurator) written by one {@link LogWriter}, with one set of {@link LogLevels} applied to both.
 * Java logging's own console handler is replaced while it is open (and put back after), so nothing is
 * written twice; Log Service entries recorded before it found the Log Service are written once.
 */
final class LogSink {
    /** Logger name the Log Service gives entries of the legacy LogService API; the bundle says more. */
    private static final String LEGACY_LOGGER = "LogService";

    private final LogWriter writer;
    private final JulHandler julHandler;
    private final List<Handler> replacedHandlers = new ArrayList<>();
    /** Java logging keeps loggers weakly: a level set on one nobody holds would be forgotten. */
    private final List<Logger> configuredLoggers = new ArrayList<>();
    private final LogListener listener = this::logged;
    private volatile LogLevels levels;
    private ServiceTracker<LogReaderService, LogReaderService> readers;
    private ServiceTracker<LoggerAdmin, LoggerAdmin> admins;

    LogSink(LogWriter writer, LogLevels levels) {
        this.writer = writer;
        this.julHandler = new JulHandler(writer);
        this.levels = levels;
    }

    synchronized void open(BundleContext context) {
        Logger root = Logger.getLogger("");
        for (Handler h : root.getHandlers()) {
            replacedHandlers.add(h);
            root.removeHandler(h);
        }
        root.addHandler(julHandler);
        applyToJul(levels);
        readers = track(context, LogReaderService.class, reader -> {
            long since = System.currentTimeMillis();
            reader.addLogListener(listener);
            List<LogEntry> earlier = Collections.list(reader.getLog());
            Collections.reverse(earlier);
            for (LogEntry e : earlier) {
                if (e.getTime() < since) {
                    logged(e);
                }
            }
        }, reader -> reader.removeLogListener(listener));
        admins = track(context, LoggerAdmin.class, admin -> applyTo(admin, levels), admin -> {});
    }

    /** Tracks services of {@code type}, telling {@code added} and {@code removed} about each. */
    private static <S> ServiceTracker<S, S> track(BundleContext context, Class<S> type, Consumer<S> added,
            Consumer<S> removed) {
        ServiceTracker<S, S> tracker = new ServiceTracker<>(context, type, new ServiceTrackerCustomizer<>() {
            @Override
            public S addingService(ServiceReference<S> ref) {
                S service = context.getService(ref);
                added.accept(service);
                return service;
            }

            @Override
            public void modifiedService(ServiceReference<S> ref, S service) {}

            @Override
            public void removedService(ServiceReference<S> ref, S service) {
                removed.accept(service);
                context.ungetService(ref);
            }
        });
        tracker.open();
        return tracker;
    }

    synchronized void close() {
        if (readers != null) {
            readers.close();
            admins.close();
            readers = null;
            admins = null;
        }
        Logger root = Logger.getLogger("");
        root.removeHandler(julHandler);
        replacedHandlers.forEach(root::addHandler);
        replacedHandlers.clear();
    }

    synchronized void apply(LogLevels next) {
        levels = next;
        applyToJul(next);
        if (admins != null) {
            for (LoggerAdmin a : admins.getTracked().values()) {
                applyTo(a, next);
            }
        }
    }

    private void applyToJul(LogLevels next) {
        for (Logger l : configuredLoggers) {
            l.setLevel(null);
        }
        configuredLoggers.clear();
        Logger.getLogger("").setLevel(next.root().jul);
        next.bySource().forEach((name, severity) -> {
            Logger l = Logger.getLogger(name);
            l.setLevel(severity.jul);
            configuredLoggers.add(l);
        });
    }

    /** The Log Service does not create entries below these levels at all. */
    private static void applyTo(LoggerAdmin admin, LogLevels l) {
        Map<String, LogLevel> map = new HashMap<>();
        map.put(org.osgi.service.log.Logger.ROOT_LOGGER_NAME, l.root().osgi);
        l.bySource().forEach((name, severity) -> map.put(name, severity.osgi));
        admin.getLoggerContext(null).setLogLevels(map);
    }

    private void logged(LogEntry e) {
        Severity severity = Severity.of(e.getLogLevel());
        String source = source(e);
        if (e.getLogLevel() != LogLevel.AUDIT && !levels.enabled(source, severity)) {
            return;
        }
        writer.write(e.getTime(), severity, source, e.getMessage(), e.getException());
    }

    private static String source(LogEntry e) {
        String name = e.getLoggerName();
        // Legacy LogService calls and loggers named ROOT (SCR's) say nothing: the bundle does.
        if (name == null || name.equals(LEGACY_LOGGER) || name.equals(org.osgi.service.log.Logger.ROOT_LOGGER_NAME)) {
            Bundle b = e.getBundle();
            return b == null || b.getSymbolicName() == null ? LEGACY_LOGGER : b.getSymbolicName();
        }
        return name;
    }
}
