package io.isochron.hil;

import static org.assertj.core.api.Assertions.assertThat;

import io.isochron.mqtt.transport.Mosquitto;
import io.isochron.mqtt.transport.SparkplugHost;
import io.isochron.mqtt.transport.SparkplugHost.Received;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.eclipse.tahu.message.model.Metric;
import org.eclipse.tahu.message.model.MetricDataType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launched sim-profile image against a real Mosquitto and Milo's OPC UA client, with the default
 * security (SignAndEncrypt, anonymous read-only): the same VMs and policy appear on both, a policy
 * command over MQTT shows up in OPC UA and in Sparkplug data, and a clean stop ends the Sparkplug
 * session with the NDEATH of the same bdSeq.
 */
class TelemetryLaunchTest {
    private static final String GROUP = "hil";
    private static final String NODE = "hil-edge";

    /** The devices born and not dead since the last NBIRTH, in arrival order. */
    private static Set<String> liveDevices(SparkplugHost host) {
        Set<String> live = new TreeSet<>();
        for (Received r : List.copyOf(host.received)) {
            String device = r.topic().substring(r.topic().lastIndexOf('/') + 1);
            switch (r.type()) {
                case "NBIRTH" -> live.clear();
                case "DBIRTH" -> live.add(device);
                case "DDEATH" -> live.remove(device);
                default -> { }
            }
        }
        return live;
    }

    @Test
    void opcUaAndSparkplugShowTheSameApplianceAndFollowAPolicyCommand(@TempDir Path dir) throws Exception {
        try (Mosquitto broker = new Mosquitto(Files.createDirectories(dir.resolve("broker")));
                OpcUaProbe opcUa = new OpcUaProbe(dir)) {
            broker.start();
            Path config = Files.createDirectories(dir.resolve("config"));
            Files.writeString(config.resolve("telemetry.json"), """
                    {
                      ":configurator:resource-version": 1,
                      ":configurator:symbolic-name": "hil.telemetry",
                      ":configurator:version": "1.0.0",
                      %s,
                      "io.isochron.mqtt": { "brokerUri": "%s", "groupId": "%s", "edgeNodeId": "%s",
                                            "commandsEnabled": true }
                    }
                    """.formatted(opcUa.config(), broker.uri(), GROUP, NODE));
            try (SparkplugHost host = new SparkplugHost(broker.uri(), GROUP);
                    Appliance appliance = Appliance.launch(dir, "--config", config.toString())) {
                appliance.awaitReady();
                appliance.await(() -> !host.of("NBIRTH").isEmpty() && !host.of("NDATA").isEmpty(), 30, "NBIRTH and NDATA");
                Received nbirth = host.of("NBIRTH").get(0);
                assertThat(nbirth.topic()).isEqualTo("spBv1.0/" + GROUP + "/NBIRTH/" + NODE);
                assertThat(nbirth.metrics()).containsEntry("Scheduler/ActivePolicy", "interference-aware")
                        .containsKey("Health").containsKey("Node Control/Rebirth");
                assertThat(liveDevices(host)).as("one Sparkplug device per simulated VM").isNotEmpty();

                opcUa.connect();
                assertThat(opcUa.value("Isochron/Scheduler/ActivePolicy")).isEqualTo("interference-aware");
                // The simulated plant starts and stops VMs: compare the two views once both have caught up.
                appliance.await(() -> opcUa.children("Isochron/VirtualMachines").equals(liveDevices(host)), 10,
                        "OPC UA VirtualMachines = the Sparkplug devices alive");

                host.command(NODE, new Metric.MetricBuilder("Scheduler/ActivePolicy", MetricDataType.String,
                        "shortest-queue").createMetric());
                appliance.await(() -> "shortest-queue".equals(opcUa.value("Isochron/Scheduler/ActivePolicy")), 10,
                        "the policy command in OPC UA");
                appliance.await(() -> host.of("NDATA").stream()
                        .anyMatch(r -> "shortest-queue".equals(r.metrics().get("Scheduler/ActivePolicy"))), 10,
                        "the policy command in NDATA");
                opcUa.close();

                assertThat(appliance.stop()).isEqualTo(143);
                appliance.await(() -> host.sessionClosed(1), 15, "NDEATH of the clean stop");
                assertThat(((BigInteger) host.of("NDEATH").get(0).metrics().get("bdSeq")))
                        .isEqualTo(nbirth.metrics().get("bdSeq"));
                assertThat(appliance.output()).doesNotContain(" ERROR ").doesNotContain("Exception");
            }
        }
    }
}
