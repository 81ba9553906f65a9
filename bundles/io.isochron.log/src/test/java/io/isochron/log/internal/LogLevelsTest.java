package io.isochron.log.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.annotation.Annotation;
import java.time.LocalDateTime;
import java.time.ZoneId;
import org.junit.jupiter.api.Test;

class LogLevelsTest {
    private static LogConfig config(String level, String... levels) {
        return new LogConfig() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return LogConfig.class;
            }

            @Override
            public String level() {
                return level;
            }

            @Override
            public String[] levels() {
                return levels;
            }
        };
    }

    @Test
    void aSourceTakesTheLevelOfItsNearestConfiguredAncestor() {
        LogLevels l = LogLevels.from(config("info", "org.eclipse.milo=WARN", "org.eclipse.milo.opcua.sdk=debug",
                "Events=WARNING"));
        assertThat(l.of("io.isochron.scheduler")).isEqualTo(Severity.INFO);
        assertThat(l.of("org.eclipse.milo.opcua.stack.core")).isEqualTo(Severity.WARN);
        assertThat(l.of("org.eclipse.milo.opcua.sdk.server")).isEqualTo(Severity.DEBUG);
        assertThat(l.of("org.eclipse.milonga")).isEqualTo(Severity.INFO);
        assertThat(l.enabled("Events.Bundle", Severity.INFO)).isFalse();
        assertThat(l.enabled("Events.Framework", Severity.ERROR)).isTrue();
    }

    @Test
    void badLevelsNameThePropertyAndTheAllowedValues() {
        assertThatThrownBy(() -> LogLevels.from(config("loud")))
                .hasMessage("property 'level' = 'loud' is not a level (allowed: ERROR, WARN, INFO, DEBUG, TRACE)");
        assertThatThrownBy(() -> LogLevels.from(config("INFO", "org.eclipse.milo")))
                .hasMessage("property 'levels': 'org.eclipse.milo' is not SOURCE=LEVEL");
        assertThatThrownBy(() -> LogLevels.from(config("INFO", "io.netty=verbose")))
                .hasMessage("property 'levels': io.netty = 'verbose' is not a level (allowed: ERROR, WARN, INFO, DEBUG, TRACE)");
    }

    @Test
    void everyRecordIsOneLineOfTimeLevelSourceAndMessage() {
        long t = LocalDateTime.of(2026, 12, 7, 0, 27, 48, 123_000_000).atZone(ZoneId.systemDefault()).toInstant()
                .toEpochMilli();
        assertThat(LogWriter.line(t, Severity.WARN, "io.isochron.mqtt", "broker unreachable"))
                .isEqualTo("2026-12-07T00:27:48.123 WARN  io.isochron.mqtt: broker unreachable");
        assertThat(Severity.of(java.util.logging.Level.SEVERE)).isEqualTo(Severity.ERROR);
        assertThat(Severity.of(java.util.logging.Level.CONFIG)).isEqualTo(Severity.DEBUG);
        assertThat(Severity.of(org.osgi.service.log.LogLevel.AUDIT)).isEqualTo(Severity.ERROR);
    }
}
