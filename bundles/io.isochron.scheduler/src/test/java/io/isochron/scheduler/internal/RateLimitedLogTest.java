package io.isochron.scheduler.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.System.Logger.Level;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RateLimitedLogTest {
    @Test
    void logsOncePerIntervalWithTheSuppressedCount() {
        AtomicLong clock = new AtomicLong();
        RateLimitedLog log = new RateLimitedLog(System.getLogger("test.rate"), 10, clock::get);
        assertThat(log.log(Level.DEBUG, "fault")).isTrue();
        for (int i = 0; i < 5; i++) {
            clock.incrementAndGet();
            assertThat(log.log(Level.DEBUG, "fault")).isFalse();
        }
        clock.set(10);
        assertThat(log.log(Level.DEBUG, "fault")).isTrue();
        clock.set(15);
        assertThat(log.log(Level.DEBUG, "fault")).isFalse();
    }
}
