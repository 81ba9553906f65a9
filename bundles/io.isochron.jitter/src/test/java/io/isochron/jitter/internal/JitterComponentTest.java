package io.isochron.jitter.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.annotation.Annotation;
import org.junit.jupiter.api.Test;

class JitterComponentTest {
    private static JitterConfig config(String source, long interval, int priority, int cpu, int window) {
        return new JitterConfig() {
            @Override public Class<? extends Annotation> annotationType() { return JitterConfig.class; }
            @Override public String source() { return source; }
            @Override public long intervalMicros() { return interval; }
            @Override public int priority() { return priority; }
            @Override public int cpu() { return cpu; }
            @Override public int windowSeconds() { return window; }
            @Override public double p99LimitMicros() { return 0; }
            @Override public double maxLimitMicros() { return 0; }
            @Override public String cyclictestPath() { return "/nonexistent/cyclictest"; }
            @Override public boolean lockMemory() { return false; }
        };
    }

    @Test
    void badConfigurationIsRejectedInOneLineNamingTheProperty() {
        assertThat(JitterComponent.validate(config("native", 1000, 80, -1, 10))).isEmpty();
        assertThat(JitterComponent.validate(config("NATIVE", 1000, 0, 1, 1))).isEmpty();
        assertThat(JitterComponent.validate(config("native", 50, 80, -1, 10)))
                .isEqualTo("configuration io.isochron.jitter rejected: 'intervalMicros' = 50 is outside 100..10000; no host jitter");
        assertThat(JitterComponent.validate(config("native", 1000, 100, -1, 10))).contains("'priority' = 100");
        assertThat(JitterComponent.validate(config("native", 1000, 80, -2, 10))).contains("'cpu' = -2");
        assertThat(JitterComponent.validate(config("native", 1000, 80, -1, 0))).contains("'windowSeconds' = 0");
        assertThat(JitterComponent.validate(config("ptp", 1000, 80, -1, 10)))
                .contains("'source' = 'ptp' is not a source (allowed: native, cyclictest, off)");
    }

    @Test
    void missingCyclictestIsReportedNotThrown() {
        JitterComponent c = new JitterComponent();
        c.activate(config("cyclictest", 1000, 80, -1, 1));
        try {
            assertThat(c.offSpec()).isEqualTo("source cyclictest selected but '/nonexistent/cyclictest' is not installed "
                    + "(Debian package rt-tests); no host jitter");
            assertThat(c.jitter()).isEmpty();
        } finally {
            c.deactivate();
        }
    }

    @Test
    void nativeSourceProducesHostStatsAfterTheFirstWindow() throws Exception {
        JitterComponent c = new JitterComponent();
        c.activate(config("native", 1000, 0, -1, 1));
        try {
            long end = System.nanoTime() + 5_000_000_000L;
            while (c.jitter().isEmpty() && System.nanoTime() < end) {
                Thread.sleep(50);
            }
            assertThat(c.jitter()).hasSize(1);
            assertThat(c.jitter().get(0).source()).isEqualTo("host");
            assertThat(c.jitter().get(0).samples()).isBetween(500L, 1100L);
        } finally {
            c.deactivate();
        }
    }
}
