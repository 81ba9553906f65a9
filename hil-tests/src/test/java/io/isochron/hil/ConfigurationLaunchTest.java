package io.isochron.hil;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launched image and its configuration as an integrator writes it: a file the Configurator
 * could not read stops the launch with the file, the position and the reason; values of the wrong
 * type take nothing down — every component starts, the rejected ones with their defaults, each
 * rejection one line and Health CHECK_FUNCTION. The console speaks one format, and the state
 * directory is its user's only.
 */
class ConfigurationLaunchTest {
    private static final String HEAD = """
            {
              ":configurator:resource-version": 1,
              ":configurator:symbolic-name": "hil.config",
              ":configurator:version": "1.0.0",
            """;
    /** A launcher line, or a log record: time, level, source, message; or a stack trace line under one. */
    private static final Pattern CONSOLE_LINE = Pattern.compile(
            "isochron: .*|\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3} (ERROR|WARN |INFO |DEBUG|TRACE) \\S+: .*");

    @Test
    void aFileTheConfiguratorCouldNotReadStopsTheLaunchWithItsPosition(@TempDir Path dir) throws Exception {
        Path config = Files.createDirectories(dir.resolve("config"));
        Path file = Files.writeString(config.resolve("site.json"), HEAD + """
                  "io.isochron.mqtt": { "publishIntervalMillis:Integer": "1000ms" }
                }
                """);
        try (Appliance appliance = Appliance.launch(Files.createDirectories(dir.resolve("first")), "--config",
                config.toString())) {
            assertThat(appliance.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(appliance.process.exitValue()).isEqualTo(2);
            assertThat(appliance.output()).contains("isochron: " + file + ":5:58: io.isochron.mqtt/publishIntervalMillis"
                    + ":Integer = \"1000ms\" is not an Integer").contains("not starting");
        }
        Files.writeString(file, HEAD + "  \"io.isochron.mqtt\": { \"qos\": 2, }\n}\n");
        try (Appliance appliance = Appliance.launch(Files.createDirectories(dir.resolve("second")), "--config",
                config.toString())) {
            assertThat(appliance.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(appliance.process.exitValue()).isEqualTo(2);
            assertThat(appliance.output()).contains(file + ":5:35: malformed JSON");
        }
    }

    @Test
    void wrongTypesTakeNothingDownAndEachIsOneLine(@TempDir Path dir) throws Exception {
        try (OpcUaProbe opcUa = new OpcUaProbe(dir)) {
            Path config = Files.createDirectories(dir.resolve("config"));
            Files.writeString(config.resolve("site.json"), HEAD + """
                      %s,
                      "io.isochron.scheduler": { "policy": "edf-refinement", "overlapPercent": "lots" },
                      "io.isochron.mqtt": { "qos": "two", "brokerUri": "tcp://127.0.0.1:9" },
                      "io.isochron.jitter": { "intervalMicros": "fast" },
                      "io.isochron.sim.hypervisor": { "timeScale": "quick" }
                    }
                    """.formatted(opcUa.config()));
            try (Appliance appliance = Appliance.launch(dir, "--config", config.toString())) {
                appliance.awaitReady();
                opcUa.connect();
                appliance.await(() -> "CHECK_FUNCTION".equals(health(opcUa)), 30, "Health CHECK_FUNCTION");
                assertThat(opcUa.value("Isochron/Scheduler/ActivePolicy")).as("the scheduler kept its default")
                        .isEqualTo("interference-aware");
                assertThat(opcUa.children("Isochron/VirtualMachines")).as("the simulated plant runs").isNotEmpty();
                String out = appliance.output();
                for (String expected : List.of(
                        "configuration io.isochron.scheduler rejected: property 'overlapPercent' = 'lots' is not a number",
                        "configuration io.isochron.mqtt rejected: property 'qos' = 'two' is not a whole number",
                        "configuration io.isochron.jitter rejected: property 'intervalMicros' = 'fast' is not a whole number",
                        "configuration io.isochron.sim.hypervisor rejected: property 'timeScale' = 'quick' is not a number")) {
                    assertThat(out.lines().filter(l -> l.contains(expected))).as(expected).hasSize(1);
                }
                assertThat(out).contains("MQTT telemetry (SPARKPLUG)").doesNotContain("Exception")
                        .doesNotContain("\tat ");
                assertThat(appliance.stop()).isEqualTo(143);
            }
        }
    }

    /**
     * A box that must come up whatever its configuration says (the firmware) starts with the fallback
     * and says why in Health over OPC UA, with what its host's start-up found wrong.
     */
    @Test
    void withAFallbackABrokenConfigurationStartsTheFallbackAndHealthSaysWhy(@TempDir Path dir) throws Exception {
        try (OpcUaProbe opcUa = new OpcUaProbe(dir)) {
            Path config = Files.createDirectories(dir.resolve("config"));
            Path broken = Files.writeString(config.resolve("site.json"), HEAD + "  \"io.isochron.mqtt\": { \"qos\": 2, }\n}\n");
            Path fallback = Files.createDirectories(dir.resolve("fallback"));
            Files.writeString(fallback.resolve("defaults.json"), HEAD + """
                      %s,
                      "io.isochron.scheduler": { "policy": "shortest-queue" }
                    }
                    """.formatted(opcUa.config()));
            Path problems = Files.writeString(dir.resolve("problems"), "state volume LABEL=x not found: running on RAM\n");
            try (Appliance appliance = Appliance.launch(dir, "--config", config.toString(), "--fallback-config",
                    fallback.toString(), "--problems", problems.toString(), "--problems", dir.resolve("none").toString())) {
                appliance.awaitReady();
                opcUa.connect();
                assertThat(opcUa.value("Isochron/Scheduler/ActivePolicy")).as("the fallback is in force")
                        .isEqualTo("shortest-queue");
                assertThat(health(opcUa)).isEqualTo("CHECK_FUNCTION");
                assertThat((String) opcUa.value("Isochron/HealthReason"))
                        .startsWith("state volume LABEL=x not found: running on RAM; " + broken + ":5:35: malformed JSON")
                        .contains("; the configuration in " + config + " is not used (see the lines above): running with "
                                + fallback + " until it is fixed");
                assertThat(appliance.output()).contains("isochron: " + broken + ":5:35: malformed JSON")
                        .contains("ERROR io.isochron.scheduler: start-up: state volume LABEL=x not found");
                assertThat(appliance.stop()).isEqualTo(143);
            }
        }
    }

    @Test
    void theConsoleSpeaksOneFormatAndTheStateDirectoryIsTheUsersOnly(@TempDir Path dir) throws Exception {
        try (Appliance appliance = Appliance.launch(dir)) {
            appliance.awaitReady();
            assertThat(appliance.stop()).isEqualTo(143);
            List<String> lines = appliance.output().lines().toList();
            System.out.printf("console lines from launch to stop: %d%n", lines.size());
            assertThat(lines).allSatisfy(l -> assertThat(l).matches(CONSOLE_LINE)).noneMatch(l -> l.contains("DEBUG"));
            Path var = dir.resolve("var");
            try (Stream<Path> all = Files.walk(var)) {
                assertThat(all.filter(p -> !Files.isSymbolicLink(p)).toList()).allSatisfy(p -> assertThat(
                        Files.getPosixFilePermissions(p)).as(p.toString()).doesNotContain(PosixFilePermission.GROUP_READ,
                                PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE,
                                PosixFilePermission.GROUP_WRITE));
            }
        }
    }

    private static String health(OpcUaProbe opcUa) {
        Object ordinal = opcUa.value("Isochron/Health");
        String[] names = {"NORMAL", "FAILURE", "CHECK_FUNCTION", "OFF_SPEC", "MAINTENANCE_REQUIRED"};
        return ordinal instanceof Number n ? names[n.intValue()] : String.valueOf(ordinal);
    }
}
