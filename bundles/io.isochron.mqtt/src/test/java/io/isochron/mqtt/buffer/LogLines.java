package io.isochron.mqtt.buffer;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Collects what the bundle logs (System.Logger goes to java.util.logging outside OSGi) instead of
 * printing it: damage tests would fill the build output.
 */
final class LogLines extends Handler implements AutoCloseable {
    private final Logger logger = Logger.getLogger("io.isochron.mqtt");
    private final boolean printing;
    private final List<LogRecord> records = new ArrayList<>();

    LogLines() {
        printing = logger.getUseParentHandlers();
        logger.setUseParentHandlers(false);
        logger.addHandler(this);
    }

    @Override
    public synchronized void publish(LogRecord r) {
        records.add(r);
    }

    /** Lines at WARNING or above. */
    synchronized List<String> warnings() {
        return records.stream().filter(r -> r.getLevel().intValue() >= Level.WARNING.intValue())
                .map(LogRecord::getMessage).toList();
    }

    synchronized List<String> all() {
        return records.stream().map(LogRecord::getMessage).toList();
    }

    synchronized void clear() {
        records.clear();
    }

    @Override
    public void flush() {
        // kept in memory
    }

    @Override
    public void close() {
        logger.removeHandler(this);
        logger.setUseParentHandlers(printing);
    }
}
