package io.isochron.log.internal;

import java.io.PrintStream;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;

/**
 * Writes log records as lines {@code 2026-12-07T00:27:48.123 WARN  source: message}, followed by the
 * cause's stack trace when there is one. One writer for every source, so lines never interleave.
 */
final class LogWriter {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS")
            .withZone(ZoneId.systemDefault());

    private final PrintStream out;

    LogWriter(PrintStream out) {
        this.out = out;
    }

    static String line(long epochMillis, Severity severity, String source, String message) {
        return TIME.format(Instant.ofEpochMilli(epochMillis)) + " " + String.format("%-5s", severity.name()) + " "
                + source + ": " + message;
    }

    void write(long epochMillis, Severity severity, String source, String message, Throwable cause) {
        String line = line(epochMillis, severity, source, message);
        synchronized (out) {
            out.println(line);
            if (cause != null) {
                cause.printStackTrace(out);
            }
            out.flush();
        }
    }
}
