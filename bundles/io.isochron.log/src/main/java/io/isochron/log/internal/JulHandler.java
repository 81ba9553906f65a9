package io.isochron.log.internal;

import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.SimpleFormatter;

/** Java logging (System.Logger, and slf4j-jdk14 inside Milo and Paho) into the one log writer. */
final class JulHandler extends Handler {
    private final LogWriter writer;
    private final SimpleFormatter parameters = new SimpleFormatter();

    JulHandler(LogWriter writer) {
        this.writer = writer;
    }

    @Override
    public void publish(LogRecord record) {
        if (record == null || !isLoggable(record)) {
            return;
        }
        String source = record.getLoggerName() == null ? "java" : record.getLoggerName();
        writer.write(record.getMillis(), Severity.of(record.getLevel()), source, parameters.formatMessage(record),
                record.getThrown());
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
}
