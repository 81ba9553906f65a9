package io.isochron.itests;

import static org.eclipse.milo.opcua.stack.core.types.builtin.unsigned.Unsigned.uint;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isochron.api.runtime.PolicyControl;
import io.isochron.api.runtime.SchedulerState;
import io.isochron.api.runtime.SchedulerStateSource;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import org.eclipse.milo.opcua.sdk.client.OpcUaClient;
import org.eclipse.milo.opcua.sdk.client.identity.AnonymousProvider;
import org.eclipse.milo.opcua.sdk.client.identity.IdentityProvider;
import org.eclipse.milo.opcua.sdk.client.identity.UsernameProvider;
import org.eclipse.milo.opcua.sdk.client.subscriptions.OpcUaMonitoredItem;
import org.eclipse.milo.opcua.sdk.client.subscriptions.OpcUaSubscription;
import org.eclipse.milo.opcua.stack.core.NodeIds;
import org.eclipse.milo.opcua.stack.core.StatusCodes;
import org.eclipse.milo.opcua.stack.core.UaException;
import org.eclipse.milo.opcua.stack.core.security.SecurityPolicy;
import org.eclipse.milo.opcua.stack.core.types.builtin.LocalizedText;
import org.eclipse.milo.opcua.stack.core.types.builtin.NodeId;
import org.eclipse.milo.opcua.stack.core.types.builtin.Variant;
import org.eclipse.milo.opcua.stack.core.types.enumerated.BrowseDirection;
import org.eclipse.milo.opcua.stack.core.types.enumerated.BrowseResultMask;
import org.eclipse.milo.opcua.stack.core.types.enumerated.TimestampsToReturn;
import org.eclipse.milo.opcua.stack.core.types.structured.BrowseDescription;
import org.eclipse.milo.opcua.stack.core.types.structured.CallMethodRequest;
import org.eclipse.milo.opcua.stack.core.types.structured.CallMethodResult;
import org.eclipse.milo.opcua.stack.core.types.structured.ReferenceDescription;
import org.eclipse.milo.opcua.stack.core.util.SelfSignedCertificateBuilder;
import org.eclipse.milo.opcua.stack.core.util.SelfSignedCertificateGenerator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;

/**
 * The OPC UA bundle resolves and starts in Felix with the appliance, and a Milo client (embedded in
 * this test bundle) talks to it over Basic256Sha256/SignAndEncrypt.
 */
class OpcUaRuntimeTest {
    private static final long TIMEOUT_MS = 20_000;
    private static final String URI = "urn:isochron:appliance";

    @InjectBundleContext
    BundleContext context;

    @InjectService(timeout = TIMEOUT_MS)
    ConfigurationAdmin configAdmin;

    @InjectService(timeout = TIMEOUT_MS)
    PolicyControl control;

    @InjectService(timeout = TIMEOUT_MS)
    SchedulerStateSource state;

    private Path pki;
    private int port;
    private KeyPair keyPair;
    private X509Certificate certificate;
    private final List<OpcUaClient> clients = new ArrayList<>();

    @BeforeEach
    void configureServer() throws Exception {
        pki = Files.createTempDirectory("isochron-opcua-pki");
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        keyPair = SelfSignedCertificateGenerator.generateRsaKeyPair(2048);
        certificate = new SelfSignedCertificateBuilder(keyPair)
                .setCommonName("itest")
                .setApplicationUri("urn:isochron:itest")
                .addDnsName("localhost")
                .build();
        Files.write(Files.createDirectories(pki.resolve("trusted/certs")).resolve("itest.der"),
                certificate.getEncoded());

        Dictionary<String, Object> props = new Hashtable<>();
        props.put("port", port);
        props.put("bindAddress", "127.0.0.1");
        props.put("hostname", "localhost");
        props.put("pkiDir", pki.toString());
        props.put("users", new String[] {userEntry("op", "operator", "itest-password")});
        configAdmin.getConfiguration("io.isochron.opcua", "?").update(props);
    }

    @AfterEach
    void disconnect() throws Exception {
        for (OpcUaClient c : clients) {
            c.disconnect();
        }
        control.switchPolicy("interference-aware", 0);
        configAdmin.getConfiguration("io.isochron.opcua", "?").delete();
    }

    /** The documented users entry format, computed independently of the bundle. */
    private static String userEntry(String name, String role, String password) throws Exception {
        byte[] salt = new byte[16];
        new SecureRandom().nextBytes(salt);
        int iterations = 100_000;
        byte[] hash = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
                .generateSecret(new PBEKeySpec(password.toCharArray(), salt, iterations, 256)).getEncoded();
        Base64.Encoder b64 = Base64.getEncoder();
        return String.join(":", name, role, "pbkdf2-sha256", Integer.toString(iterations), b64.encodeToString(salt),
                b64.encodeToString(hash));
    }

    /** Retries until the reconfigured server listens; the test trusts the appliance it runs in. */
    private OpcUaClient connect(IdentityProvider identity) throws Exception {
        long deadline = System.currentTimeMillis() + TIMEOUT_MS;
        while (true) {
            try {
                OpcUaClient c = OpcUaClient.create("opc.tcp://localhost:" + port + "/isochron",
                        endpoints -> endpoints.stream()
                                .filter(e -> SecurityPolicy.Basic256Sha256.getUri().equals(e.getSecurityPolicyUri()))
                                .findFirst(),
                        transport -> {},
                        config -> config
                                .setApplicationName(LocalizedText.english("isochron itest"))
                                .setApplicationUri("urn:isochron:itest")
                                .setKeyPair(keyPair)
                                .setCertificate(certificate)
                                .setCertificateChain(new X509Certificate[] {certificate})
                                .setCertificateValidator((chain, uri, hosts) -> {})
                                .setIdentityProvider(identity)
                                .setRequestTimeout(uint(10_000)));
                c.connect();
                clients.add(c);
                return c;
            } catch (UaException e) {
                if (System.currentTimeMillis() > deadline) {
                    throw e;
                }
                Thread.sleep(200);
            }
        }
    }

    private static NodeId node(OpcUaClient c, String path) {
        return new NodeId(c.getNamespaceTable().getIndex(URI), path);
    }

    private static List<String> children(OpcUaClient c, String path) throws UaException {
        List<String> names = new ArrayList<>();
        for (ReferenceDescription r : c.browse(new BrowseDescription(node(c, path), BrowseDirection.Forward,
                NodeIds.HierarchicalReferences, true, uint(0), uint(BrowseResultMask.All.getValue())))
                .getReferences()) {
            names.add(r.getBrowseName().name());
        }
        return names;
    }

    private static CallMethodResult switchPolicy(OpcUaClient c, String policy, double overlap) throws UaException {
        return c.call(List.of(new CallMethodRequest(node(c, "Isochron/Scheduler"),
                node(c, "Isochron/Scheduler/SwitchPolicy"),
                new Variant[] {new Variant(policy), new Variant(overlap)}))).getResults()[0];
    }

    @Test
    void theBundleIsActiveAndServesTheSimulatedPlant() throws Exception {
        Bundle opcua = List.of(context.getBundles()).stream()
                .filter(b -> b.getSymbolicName().equals("io.isochron.opcua")).findFirst().orElseThrow();
        assertEquals(Bundle.ACTIVE, opcua.getState());

        OpcUaClient c = connect(new AnonymousProvider());
        assertTrue(children(c, "Isochron").containsAll(
                List.of("Scheduler", "PhysicalCpus", "VirtualMachines", "IoComponents", "Jitter", "Health")));
        SchedulerState s = state.snapshot();
        assertEquals(s.pcpus().size(), children(c, "Isochron/PhysicalCpus").size());
        int vcpus = 0;
        for (String vm : children(c, "Isochron/VirtualMachines")) {
            vcpus += (int) children(c, "Isochron/VirtualMachines/" + vm).stream().filter(n -> n.startsWith("Vcpu"))
                    .count();
        }
        assertEquals(s.vcpus().size(), vcpus);
        assertEquals(control.active().name(), c.readValue(0.0, TimestampsToReturn.Neither,
                node(c, "Isochron/Scheduler/ActivePolicy")).value().value());
    }

    @Test
    void anOperatorSwitchesThePolicyAndSubscribersSeeIt() throws Exception {
        OpcUaClient anonymous = connect(new AnonymousProvider());
        assertEquals(StatusCodes.Bad_UserAccessDenied,
                switchPolicy(anonymous, "edf-refinement", 0).getStatusCode().value());
        assertEquals("interference-aware", control.active().name());

        var subscription = new OpcUaSubscription(anonymous, 50.0);
        subscription.create();
        var item = OpcUaMonitoredItem.newDataItem(node(anonymous, "Isochron/Scheduler/ActivePolicy"));
        BlockingQueue<Object> seen = new LinkedBlockingQueue<>();
        item.setDataValueListener((i, v) -> seen.add(v.value().value()));
        subscription.addMonitoredItem(item);
        subscription.synchronizeMonitoredItems();
        assertEquals("interference-aware", seen.poll(10, TimeUnit.SECONDS));

        OpcUaClient operator = connect(new UsernameProvider("op", "itest-password"));
        CallMethodResult r = switchPolicy(operator, "edf-refinement", 0);
        assertTrue(r.getStatusCode().isGood(), r.getStatusCode().toString());
        assertEquals("interference-aware", r.getOutputArguments()[0].value());
        assertEquals("edf-refinement", control.active().name());
        assertEquals("edf-refinement", seen.poll(10, TimeUnit.SECONDS));

        CallMethodResult bad = switchPolicy(operator, "round-robin", 0);
        assertEquals(StatusCodes.Bad_InvalidArgument, bad.getStatusCode().value());
        assertEquals("edf-refinement", control.active().name());
    }
}
