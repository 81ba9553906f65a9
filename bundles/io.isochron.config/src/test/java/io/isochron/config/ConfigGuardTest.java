package io.isochron.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ConfigGuardTest {
    enum Format {
        SPARKPLUG,
        JSON
    }

    @interface Sample {
        String policy() default "interference-aware";

        double overlapPercent() default 0.0;

        int qos() default 2;

        long windowMillis() default 1000;

        boolean applyAffinity() default true;

        Format format() default Format.SPARKPLUG;

        String[] users() default {};

        String password() default "";

        int tick_millis() default 100;
    }

    /** Settings as a component would make them: a range check of its own. */
    record Settings(String policy, double overlap, int qos) {}

    private static Settings validate(Sample s) {
        if (!(s.overlapPercent() >= 0 && s.overlapPercent() <= 100)) {
            throw new IllegalArgumentException("property 'overlapPercent' = " + s.overlapPercent()
                    + " is outside the allowed range 0..100");
        }
        return new Settings(s.policy(), s.overlapPercent(), s.qos());
    }

    private final ConfigGuard<Sample, Settings> guard = ConfigGuard.of("test.pid", Sample.class, ConfigGuardTest::validate);

    @AfterEach
    void close() {
        guard.close();
    }

    @Test
    void typesAreConvertedTheWayConfigAdminAndTheConfiguratorDeliverThem() {
        TypedConfig.Result<Sample> r = TypedConfig.convert(Sample.class, Map.of("overlapPercent", 25L, "qos", "1",
                "windowMillis", 2000.0, "applyAffinity", "FALSE", "format", "json", "users", List.of("a", "b"),
                "tick.millis", 50, "service.pid", "test.pid", ":configurator:version", "1"));
        assertThat(r.problems()).isEmpty();
        Sample s = r.config();
        assertThat(s.overlapPercent()).isEqualTo(25.0);
        assertThat(s.qos()).isEqualTo(1);
        assertThat(s.windowMillis()).isEqualTo(2000);
        assertThat(s.applyAffinity()).isFalse();
        assertThat(s.format()).isEqualTo(Format.JSON);
        assertThat(s.users()).containsExactly("a", "b");
        assertThat(s.tick_millis()).isEqualTo(50);
        assertThat(s.policy()).isEqualTo("interference-aware");
        assertThat(s.annotationType()).isEqualTo(Sample.class);
        // The proxy never shows values, which may be secrets.
        assertThat(s.toString()).doesNotContain("interference-aware");
    }

    @Test
    void everyWrongTypeIsOnePhraseNamingPropertyValueAndWhatIsAllowed() {
        TypedConfig.Result<Sample> r = TypedConfig.convert(Sample.class, Map.of("overlapPercent", "lots",
                "qos", "two", "windowMillis", 2.5, "applyAffinity", "yes", "format", "XML",
                "overlapPercnt", 10, "users", new int[] {1, 2}));
        assertThat(r.config()).isNull();
        assertThat(r.problems()).containsExactlyInAnyOrder(
                "property 'overlapPercent' = 'lots' is not a number",
                "property 'qos' = 'two' is not a whole number",
                "property 'windowMillis' = 2.5 is not a whole number",
                "property 'applyAffinity' = 'yes' is not true or false",
                "property 'format' = 'XML' is not one of SPARKPLUG, JSON",
                "unknown property 'overlapPercnt' (allowed: applyAffinity, format, overlapPercent, password, "
                        + "policy, qos, tick.millis, users, windowMillis)");
    }

    @Test
    void aBadFirstConfigurationGivesTheDefaultsAndAProblemForHealth() {
        Settings s = guard.initial(Map.of("overlapPercent", "lots", "qos", 1));
        assertThat(s).isEqualTo(new Settings("interference-aware", 0.0, 2));
        assertThat(guard.problem()).isEqualTo("configuration test.pid rejected: property 'overlapPercent' = 'lots' "
                + "is not a number; using the defaults instead");
        assertThat(ConfigGuard.problems()).contains(guard.problem());

        assertThat(guard.update(Map.of("overlapPercent", 30))).contains(new Settings("interference-aware", 30, 2));
        assertThat(guard.problem()).isEmpty();
        assertThat(ConfigGuard.problems()).noneMatch(p -> p.startsWith("configuration test.pid"));
    }

    @Test
    void aBadUpdateKeepsTheLastGoodSettings() {
        guard.initial(Map.of("policy", "edf", "overlapPercent", 10));
        assertThat(guard.update(Map.of("policy", "edf", "overlapPercent", 150))).isEmpty();
        assertThat(guard.current()).isEqualTo(new Settings("edf", 10, 2));
        assertThat(guard.problem()).isEqualTo("configuration test.pid rejected: property 'overlapPercent' = 150.0 "
                + "is outside the allowed range 0..100; keeping the last good configuration");
        assertThat(guard.problemWith(Map.of("qos", "x"))).isEqualTo("property 'qos' = 'x' is not a whole number");
        assertThat(guard.problemWith(Map.of("qos", 1))).isEmpty();

        guard.close();
        assertThat(ConfigGuard.problems()).noneMatch(p -> p.startsWith("configuration test.pid"));
    }

    @Test
    void defaultsThatTheComponentRejectsAreABugNotAConfigurationProblem() {
        ConfigGuard<Sample, Settings> picky = ConfigGuard.of("picky", Sample.class, c -> {
            throw new IllegalArgumentException("never");
        });
        assertThatThrownBy(() -> picky.initial(Map.of())).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("the defaults of picky are rejected");
        picky.close();
    }
}
