package io.isochron.hil;

import static org.assertj.core.api.Assertions.assertThat;
import static org.eclipse.milo.opcua.stack.core.types.builtin.unsigned.Unsigned.uint;

import io.isochron.mqtt.transport.Mosquitto;
import io.isochron.mqtt.transport.SparkplugHost;
import io.isochron.mqtt.transport.SparkplugHost.Received;
import java.math.BigInteger;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.eclipse.milo.opcua.sdk.client.OpcUaClient;
import org.eclipse.milo.opcua.sdk.client.identity.AnonymousProvider;
import org.eclipse.milo.opcua.stack.core.NodeIds;
import org.eclipse.milo.opcua.stack.core.UaException;
import org.eclipse.milo.opcua.stack.core.security.SecurityPolicy;
import org.eclipse.milo.opcua.stack.core.types.builtin.LocalizedText;
import org.eclipse.milo.opcua.stack.core.types.builtin.NodeId;
import org.eclipse.milo.opcua.stack.core.types.enumerated.BrowseDirection;
import org.eclipse.milo.opcua.stack.core.types.enumerated.BrowseResultMask;
import org.eclipse.milo.opcua.stack.core.types.enumerated.MessageSecurityMode;
import org.eclipse.milo.opcua.stack.core.types.enumerated.TimestampsToReturn;
import org.eclipse.milo.opcua.stack.core.types.structured.BrowseDescription;
import org.eclipse.milo.opcua.stack.core.types.structured.ReferenceDescription;
import org.eclipse.milo.opcua.stack.core.util.SelfSignedCertificateBuilder;
import org.eclipse.milo.opcua.stack.core.util.SelfSignedCertificateGenerator;
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

    @Test
    void opcUaAndSparkplugShowTheSameApplianceAndFollowAPolicyCommand(@TempDir Path dir) throws Exception {
        int opcUaPort;
        try (ServerSocket s = new ServerSocket(0)) {
            opcUaPort = s.getLocalPort();
        }
        Path pki = dir.resolve("pki");
        KeyPair keyPair = SelfSignedCertificateGenerator.generateRsaKeyPair(2048);
        String clientUri = "urn:isochron:hil:client";
        X509Certificate clientCert = new SelfSignedCertificateBuilder(keyPair).setCommonName("hil client")
                .setApplicationUri(clientUri).addDnsName("localhost").build();
        Files.write(Files.createDirectories(pki.resolve("trusted/certs")).resolve("hil-client.der"), clientCert.getEncoded());

        try (Mosquitto broker = new Mosquitto(Files.createDirectories(dir.resolve("broker")))) {
            broker.start();
            Path config = Files.createDirectories(dir.resolve("config"));
            Files.writeString(config.resolve("telemetry.json"), """
                    {
                      ":configurator:resource-version": 1,
                      ":configurator:symbolic-name": "hil.telemetry",
                      ":configurator:version": "1.0.0",
                      "io.isochron.opcua": { "port": %d, "pkiDir": "%s" },
                      "io.isochron.mqtt": { "brokerUri": "%s", "groupId": "%s", "edgeNodeId": "%s",
                                            "commandsEnabled": true }
                    }
                    """.formatted(opcUaPort, pki, broker.uri(), GROUP, NODE));
            try (SparkplugHost host = new SparkplugHost(broker.uri(), GROUP);
                    Appliance appliance = Appliance.launch(dir, "--config", config.toString())) {
                appliance.awaitReady();
                waitFor(() -> !host.of("NBIRTH").isEmpty() && !host.of("NDATA").isEmpty(), 30, "NBIRTH and NDATA", appliance);
                Received nbirth = host.of("NBIRTH").get(0);
                assertThat(nbirth.topic()).isEqualTo("spBv1.0/" + GROUP + "/NBIRTH/" + NODE);
                assertThat(nbirth.metrics()).containsEntry("Scheduler/ActivePolicy", "interference-aware")
                        .containsKey("Health").containsKey("Node Control/Rebirth");
                Set<String> devices = host.of("DBIRTH").stream().map(r -> r.topic().substring(r.topic().lastIndexOf('/') + 1))
                        .collect(Collectors.toCollection(TreeSet::new));
                assertThat(devices).as("one Sparkplug device per simulated VM").isNotEmpty();

                OpcUaClient client = connect(opcUaPort, keyPair, clientCert, clientUri);
                try {
                    assertThat(value(client, "Isochron/Scheduler/ActivePolicy")).isEqualTo("interference-aware");
                    assertThat(vmNodes(client)).as("OPC UA VirtualMachines = Sparkplug devices").isEqualTo(devices);

                    host.command(NODE, new Metric.MetricBuilder("Scheduler/ActivePolicy", MetricDataType.String,
                            "shortest-queue").createMetric());
                    waitFor(() -> "shortest-queue".equals(value(client, "Isochron/Scheduler/ActivePolicy")), 10,
                            "the policy command in OPC UA", appliance);
                    waitFor(() -> host.of("NDATA").stream()
                            .anyMatch(r -> "shortest-queue".equals(r.metrics().get("Scheduler/ActivePolicy"))), 10,
                            "the policy command in NDATA", appliance);
                } finally {
                    client.disconnect();
                }

                assertThat(appliance.stop()).isEqualTo(143);
                waitFor(() -> host.sessionClosed(1), 15, "NDEATH of the clean stop", appliance);
                assertThat(((BigInteger) host.of("NDEATH").get(0).metrics().get("bdSeq")))
                        .isEqualTo(nbirth.metrics().get("bdSeq"));
                assertThat(appliance.output()).doesNotContain("SEVERE").doesNotContain("Exception");
            }
        }
    }

    private static OpcUaClient connect(int port, KeyPair keyPair, X509Certificate cert, String uri) throws UaException {
        OpcUaClient c = OpcUaClient.create("opc.tcp://localhost:" + port + "/isochron",
                endpoints -> endpoints.stream()
                        .filter(e -> e.getSecurityPolicyUri().equals(SecurityPolicy.Basic256Sha256.getUri())
                                && e.getSecurityMode() == MessageSecurityMode.SignAndEncrypt)
                        .findFirst(),
                transport -> {},
                config -> config.setApplicationName(LocalizedText.english("isochron hil client"))
                        .setApplicationUri(uri)
                        .setKeyPair(keyPair)
                        .setCertificate(cert)
                        .setCertificateChain(new X509Certificate[] {cert})
                        // the appliance's certificate is self-signed and new on every run
                        .setCertificateValidator((chain, applicationUri, hostnames) -> {})
                        .setIdentityProvider(new AnonymousProvider())
                        .setRequestTimeout(uint(10_000)));
        return c.connect();
    }

    private static NodeId node(OpcUaClient client, String path) {
        return new NodeId(client.getNamespaceTable().getIndex("urn:isochron:appliance"), path);
    }

    private static Object value(OpcUaClient client, String path) {
        try {
            return client.readValue(0.0, TimestampsToReturn.Neither, node(client, path)).value().value();
        } catch (UaException e) {
            throw new AssertionError(e);
        }
    }

    private static Set<String> vmNodes(OpcUaClient client) throws UaException {
        Set<String> names = new TreeSet<>();
        for (ReferenceDescription r : client.browse(new BrowseDescription(node(client, "Isochron/VirtualMachines"),
                BrowseDirection.Forward, NodeIds.HierarchicalReferences, true, uint(0),
                uint(BrowseResultMask.All.getValue()))).getReferences()) {
            names.add(r.getBrowseName().name());
        }
        return names;
    }

    private static void waitFor(BooleanSupplier condition, long seconds, String what, Appliance appliance)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + seconds + " s waiting for " + what + "; appliance log:\n"
                        + appliance.output());
            }
            Thread.sleep(50);
        }
    }
}
