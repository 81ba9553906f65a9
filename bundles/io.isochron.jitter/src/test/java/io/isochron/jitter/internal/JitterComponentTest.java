package io.isochron.jitter.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.isochron.config.ConfigGuard;
import java.lang.annotation.Annotation;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JitterComponentTest {
    /** Configuration as ConfigAdmin hands it over; lockMemory off so the test needs no CAP_IPC_LOCK. */
    private static Map<String, Object> props(String source, long interval, int priority, int window) {
        return Map.of("source", source, "intervalMicros", interval, "priority", priority, "windowSeconds", window,
                "cyclictestPath", "/nonexistent/cyclictest", "lockMemory", false);
    }

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
        assertThat(JitterComponent.validate(config("native", 1000, 80, -1, 10))).isNotNull();
        assertThat(JitterComponent.validate(config("NATIVE", 1000, 0, 1, 1))).isNotNull();
        assertThatThrownBy(() -> JitterComponent.validate(config("native", 50, 80, -1, 10)))
                .hasMessage("property 'intervalMicros' = 50 is outside 100..10000");
        assertThatThrownBy(() -> JitterComponent.validate(config("native", 1000, 100, -1, 10))).hasMessageContaining("'priority' = 100");
        assertThatThrownBy(() -> JitterComponent.validate(config("native", 1000, 80, -2, 10))).hasMessageContaining("'cpu' = -2");
        assertThatThrownBy(() -> JitterComponent.validate(config("native", 1000, 80, -1, 0))).hasMessageContaining("'windowSeconds' = 0");
        assertThatThrownBy(() -> JitterComponent.validate(config("ptp", 1000, 80, -1, 10)))
                .hasMessageContaining("'source' = 'ptp' is not a source (allowed: native, cyclictest, off)");
    }

    @Test
    void missingCyclictestIsReportedNotThrown() {
        JitterComponent c = new JitterComponent();
        c.activate(props("cyclictest", 1000, 80, 1));
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
        c.activate(props("native", 1000, 0, 1));
        try {
            awaitHostStats(c);
            assertThat(c.jitter()).hasSize(1);
            assertThat(c.jitter().get(0).source()).isEqualTo("host");
            assertThat(c.jitter().get(0).samples()).isPositive();
        } finally {
            c.deactivate();
        }
    }

    @Test
    void aBadUpdateKeepsMeasuringWithTheLastGoodConfiguration() throws Exception {
        JitterComponent c = new JitterComponent();
        c.activate(props("native", 1000, 0, 1));
        try {
            awaitHostStats(c);
            c.modified(Map.of("source", "native", "intervalMicros", "fast", "lockMemory", false));
            assertThat(ConfigGuard.problems()).anySatisfy(p -> assertThat(p).isEqualTo("configuration io.isochron.jitter "
                    + "rejected: property 'intervalMicros' = 'fast' is not a whole number; keeping the last good "
                    + "configuration"));
            Thread.sleep(1500); // past the next window
            assertThat(c.jitter()).as("still measuring").singleElement()
                    .satisfies(j -> assertThat(j.cycleMicros()).isEqualTo(1000));
            assertThat(c.offSpec()).isEmpty();

            c.modified(props("native", 2000, 0, 1));
            assertThat(ConfigGuard.problems()).noneMatch(p -> p.contains("io.isochron.jitter"));
            awaitHostStats(c);
            assertThat(c.jitter()).singleElement().satisfies(j -> assertThat(j.cycleMicros()).isEqualTo(2000));
        } finally {
            c.deactivate();
        }
    }

    private static void awaitHostStats(JitterComponent c) throws InterruptedException {
        long end = System.nanoTime() + 5_000_000_000L;
        while (c.jitter().isEmpty() && System.nanoTime() < end) {
            Thread.sleep(50);
        }
    }
}
