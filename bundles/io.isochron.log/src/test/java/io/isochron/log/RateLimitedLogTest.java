package io.isochron.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.ResourceBundle;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RateLimitedLogTest {
    /** The lines a System.Logger was given. */
    static final class Lines implements System.Logger {
        final List<String> lines = new ArrayList<>();

        @Override
        public String getName() {
            return "test";
        }

        @Override
        public boolean isLoggable(Level level) {
            return true;
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
            lines.add(level + " " + msg + (thrown == null ? "" : " / " + thrown.getMessage()));
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String format, Object... params) {
            lines.add(level + " " + format);
        }
    }

    @Test
    void logsOncePerIntervalAndSaysHowManyItSuppressed() {
        AtomicLong clock = new AtomicLong(-5); // any start, negative included
        Lines out = new Lines();
        RateLimitedLog log = new RateLimitedLog(out, 10, clock::get);
        assertThat(log.log(Level.WARNING, "fault")).isTrue();
        for (int i = 0; i < 5; i++) {
            clock.incrementAndGet();
            assertThat(log.log(Level.WARNING, "fault")).isFalse();
        }
        assertThat(log.suppressed()).isEqualTo(5);
        clock.set(5);
        assertThat(log.log(Level.ERROR, "fault", new IllegalStateException("why"))).isTrue();
        clock.set(10);
        assertThat(log.log(Level.WARNING, "fault")).isFalse();
        assertThat(out.lines).containsExactly("WARNING fault", "ERROR fault (5 more since the last report) / why");
    }
}
