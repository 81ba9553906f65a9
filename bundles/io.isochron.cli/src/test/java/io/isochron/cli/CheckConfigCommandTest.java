package io.isochron.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckConfigCommandTest {
    private static final String HEAD = """
            {
              ":configurator:resource-version": 1,
              ":configurator:symbolic-name": "site.overrides",
              ":configurator:version": "1.0.0",
            """;
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @TempDir
    Path dir;

    private int check(String... args) {
        return IsochronCommand.execute(args, new PrintWriter(out), new PrintWriter(err));
    }

    private Path file(String name, String body) throws Exception {
        return Files.writeString(dir.resolve(name), body);
    }

    @Test
    void aGoodDirectoryPasses() throws Exception {
        file("site.json", HEAD + """
                  // comments are allowed, as the Configurator allows them
                  "io.isochron.scheduler": { "policy": "edf-refinement", "overlapPercent:Double": 10.0 },
                  "io.isochron.mqtt": { "publishIntervalMillis:Integer": "1000", "qos": 1,
                    "bufferSync:Boolean": "true", "brokerUri": "ssl://broker:8883" },
                  "io.isochron.opcua": { "securityPolicies:String[]": ["Basic256Sha256"], "port:int": 4841,
                    ":configurator:ranking": 10 }
                }
                """);
        file("notes.txt", "not json, not read");
        assertThat(check("check-config", dir.toString())).isZero();
        assertThat(out.toString()).contains("1 configuration file(s) fine");
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void aValueThatDoesNotFitItsTypeAnnotationIsRefusedWithItsPosition() throws Exception {
        Path f = file("site.json", HEAD + """
                  "io.isochron.mqtt": { "publishIntervalMillis:Integer": "1000ms", "qos:Integer": 2.5 },
                  "io.isochron.opcua": { "port:Integer": "fourty", "anonymousAccess:Boolean": "no",
                    "securityPolicies:String": ["None"] }
                }
                """);
        assertThat(check("check-config", f.toString())).isEqualTo(2);
        assertThat(err.toString().lines()).containsExactly(
                "isochron: " + f + ":5:58: io.isochron.mqtt/publishIntervalMillis:Integer = \"1000ms\" is not an "
                        + "Integer (a whole number from -2147483648 to 2147483647)",
                "isochron: " + f + ":5:83: io.isochron.mqtt/qos:Integer = 2.5 is not an Integer (a whole number from "
                        + "-2147483648 to 2147483647)",
                "isochron: " + f + ":6:42: io.isochron.opcua/port:Integer = \"fourty\" is not an Integer (a whole "
                        + "number from -2147483648 to 2147483647)",
                "isochron: " + f + ":6:79: io.isochron.opcua/anonymousAccess:Boolean = \"no\" is not a Boolean",
                "isochron: " + f + ":7:32: io.isochron.opcua/securityPolicies:String is a list; the type annotation "
                        + "says one String");
    }

    @Test
    void malformedJsonNamesLineAndColumn() throws Exception {
        Path f = file("broken.json", HEAD + """
                  "io.isochron.mqtt": { "qos": 2, }
                }
                """);
        assertThat(check("check-config", f.toString())).isEqualTo(2);
        assertThat(err.toString()).startsWith("isochron: " + f + ":5:35: malformed JSON: ");
        assertThat(err.toString().lines()).hasSize(1);
    }

    @Test
    void structureAndNamingMistakesAreRefused() throws Exception {
        Path f = file("odd.json", """
                { "io.isochron.mqtt": 5,
                  "io.isochron.jitter": { "priority:Integr": 80, ":configurator:rank": 1, "nested": {"a": 1},
                    "p99LimitMicros": 1, "p99LimitMicros": 2 } }
                """);
        assertThat(check("check-config", f.toString())).isEqualTo(2);
        assertThat(err.toString().lines()).anySatisfy(l -> assertThat(l).contains(":1:23: PID io.isochron.mqtt must be an object"))
                .anySatisfy(l -> assertThat(l).contains("io.isochron.jitter/priority:Integr: unknown type 'Integr'"))
                .anySatisfy(l -> assertThat(l).contains(":configurator:rank is not a Configurator setting"))
                .anySatisfy(l -> assertThat(l).contains("io.isochron.jitter/nested is an object"))
                .anySatisfy(l -> assertThat(l).contains("malformed JSON: Duplicate field 'p99LimitMicros'"));
        assertThat(check("check-config", dir.resolve("missing.json").toString())).isEqualTo(2);
        assertThat(err.toString()).contains("is neither a directory nor a file");
    }

    @Test
    void jsonListsTheProblemsOnStdout() throws Exception {
        Path f = file("anon.json", "{ \"io.isochron.scheduler\": { \"overlapPercent:Double\": \"lots\" } }");
        assertThat(check("check-config", f.toString(), "--json")).isEqualTo(2);
        var result = Output.JSON.readTree(out.toString());
        assertThat(result.get("files").asInt()).isEqualTo(1);
        assertThat(result.get("problems")).hasSize(2);
        assertThat(result.get("problems").get(0).asText())
                .isEqualTo(f + ":1:55: io.isochron.scheduler/overlapPercent:Double = \"lots\" is not a Double");
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void aFileWithoutItsOwnNameIsRefused() throws Exception {
        Path f = file("anon.json", "{ \"io.isochron.scheduler\": { \"policy\": \"edf\" } }");
        assertThat(check("check-config", f.toString())).isEqualTo(2);
        assertThat(err.toString()).contains(f + ": needs \":configurator:symbolic-name\" and \":configurator:version\"");
    }
}
