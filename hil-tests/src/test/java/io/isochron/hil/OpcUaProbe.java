package io.isochron.hil;

import static org.eclipse.milo.opcua.stack.core.types.builtin.unsigned.Unsigned.uint;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.eclipse.milo.opcua.sdk.client.DiscoveryClient;
import org.eclipse.milo.opcua.sdk.client.OpcUaClient;
import org.eclipse.milo.opcua.sdk.client.identity.AnonymousProvider;
import org.eclipse.milo.opcua.sdk.client.identity.IdentityProvider;
import org.eclipse.milo.opcua.sdk.client.identity.X509IdentityProvider;
import org.eclipse.milo.opcua.stack.core.NodeIds;
import org.eclipse.milo.opcua.stack.core.UaException;
import org.eclipse.milo.opcua.stack.core.security.SecurityPolicy;
import org.eclipse.milo.opcua.stack.core.types.builtin.LocalizedText;
import org.eclipse.milo.opcua.stack.core.types.builtin.NodeId;
import org.eclipse.milo.opcua.stack.core.types.builtin.Variant;
import org.eclipse.milo.opcua.stack.core.types.enumerated.BrowseDirection;
import org.eclipse.milo.opcua.stack.core.types.enumerated.BrowseResultMask;
import org.eclipse.milo.opcua.stack.core.types.enumerated.MessageSecurityMode;
import org.eclipse.milo.opcua.stack.core.types.enumerated.TimestampsToReturn;
import org.eclipse.milo.opcua.stack.core.types.structured.BrowseDescription;
import org.eclipse.milo.opcua.stack.core.types.structured.CallMethodRequest;
import org.eclipse.milo.opcua.stack.core.types.structured.CallMethodResult;
import org.eclipse.milo.opcua.stack.core.types.structured.EndpointDescription;
import org.eclipse.milo.opcua.stack.core.types.structured.ReferenceDescription;
import org.eclipse.milo.opcua.stack.core.util.EndpointUtil;
import org.eclipse.milo.opcua.stack.core.util.SelfSignedCertificateBuilder;
import org.eclipse.milo.opcua.stack.core.util.SelfSignedCertificateGenerator;

/**
 * An anonymous OPC UA client of the launched appliance with the default security (Basic256Sha256,
 * SignAndEncrypt): its certificate is put into the appliance's trusted store before the launch.
 */
final class OpcUaProbe implements AutoCloseable {
    private static final String NAMESPACE = "urn:isochron:appliance";

    final int port;
    final Path pki;
    private final KeyPair keyPair;
    private final X509Certificate certificate;
    private final String applicationUri = "urn:isochron:hil:client";
    private OpcUaClient client;

    /** A free port for the appliance and a PKI directory that trusts this client. */
    OpcUaProbe(Path dir) throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        pki = dir.resolve("pki");
        keyPair = SelfSignedCertificateGenerator.generateRsaKeyPair(2048);
        certificate = new SelfSignedCertificateBuilder(keyPair).setCommonName("hil client")
                .setApplicationUri(applicationUri).addDnsName("localhost").build();
        Files.write(Files.createDirectories(pki.resolve("trusted/certs")).resolve("hil-client.der"),
                certificate.getEncoded());
    }

    /** The appliance configuration that goes with this probe, as Configurator JSON members. */
    String config() {
        return "\"io.isochron.opcua\": { \"port\": " + port + ", \"pkiDir\": \"" + pki + "\" }";
    }

    /** The endpoints the appliance offers (discovery needs no trust): proof that OPC UA is up. */
    List<EndpointDescription> endpoints() throws Exception {
        return DiscoveryClient.getEndpoints("opc.tcp://localhost:" + port + "/isochron",
                transport -> transport.setConnectTimeout(uint(30_000)).setAcknowledgeTimeout(uint(30_000)))
                .get(60, TimeUnit.SECONDS);
    }

    /** Anonymous (read-only) session. */
    OpcUaClient connect() throws UaException {
        return connect(new AnonymousProvider());
    }

    /**
     * Session as an operator, identified by this client's certificate, which {@link #provision}
     * put into the appliance's {@code users/} too.
     */
    OpcUaClient connectAsOperator() throws UaException {
        return connect(new X509IdentityProvider(certificate, keyPair.getPrivate()));
    }

    /**
     * Trusts this client, as application and as operator, in an appliance PKI directory that is
     * not the probe's own (e.g. on a firmware state volume).
     */
    void provision(Path appliancePki) throws Exception {
        Files.write(Files.createDirectories(appliancePki.resolve("trusted/certs")).resolve("hil-client.der"),
                certificate.getEncoded());
        Files.write(Files.createDirectories(appliancePki.resolve("users")).resolve("hil-client.der"),
                certificate.getEncoded());
    }

    /** Calls Scheduler/SwitchPolicy; @return the previous policy. */
    String switchPolicy(String policy, double overlapPercent) throws UaException {
        var request = new CallMethodRequest(node("Isochron/Scheduler"), node("Isochron/Scheduler/SwitchPolicy"),
                new Variant[] {new Variant(policy), new Variant(overlapPercent)});
        CallMethodResult result = client.call(List.of(request)).getResults()[0];
        if (!result.getStatusCode().isGood()) {
            throw new AssertionError("SwitchPolicy(" + policy + ", " + overlapPercent + "): " + result.getStatusCode());
        }
        return (String) result.getOutputArguments()[0].value();
    }

    private OpcUaClient connect(IdentityProvider identity) throws UaException {
        close();
        // Behind a port forward the server names its own port in its endpoints: use ours.
        client = OpcUaClient.create("opc.tcp://localhost:" + port + "/isochron",
                endpoints -> endpoints.stream()
                        .filter(e -> e.getSecurityPolicyUri().equals(SecurityPolicy.Basic256Sha256.getUri())
                                && e.getSecurityMode() == MessageSecurityMode.SignAndEncrypt)
                        .findFirst()
                        .map(e -> EndpointUtil.updateUrl(e, "localhost", port)),
                // generous: a firmware under emulation takes seconds to open a secure channel
                transport -> transport.setConnectTimeout(uint(30_000)).setAcknowledgeTimeout(uint(30_000)),
                config -> config.setApplicationName(LocalizedText.english("isochron hil client"))
                        .setApplicationUri(applicationUri)
                        .setKeyPair(keyPair)
                        .setCertificate(certificate)
                        .setCertificateChain(new X509Certificate[] {certificate})
                        // the appliance's certificate is self-signed and new on every run
                        .setCertificateValidator((chain, uri, hostnames) -> {})
                        .setIdentityProvider(identity)
                        .setRequestTimeout(uint(60_000)));
        return client.connect();
    }

    private NodeId node(String path) {
        return new NodeId(client.getNamespaceTable().getIndex(NAMESPACE), path);
    }

    /** The value of the variable at {@code path} (e.g. Isochron/Scheduler/ActivePolicy), null if unreadable. */
    Object value(String path) {
        try {
            return client.readValue(0.0, TimestampsToReturn.Neither, node(path)).value().value();
        } catch (UaException e) {
            throw new AssertionError("cannot read " + path + ": " + e.getMessage(), e);
        }
    }

    /** Browse names of the children of {@code path}. */
    Set<String> children(String path) {
        Set<String> names = new TreeSet<>();
        try {
            for (ReferenceDescription r : client.browse(new BrowseDescription(node(path), BrowseDirection.Forward,
                    NodeIds.HierarchicalReferences, true, uint(0), uint(BrowseResultMask.All.getValue())))
                    .getReferences()) {
                names.add(r.getBrowseName().name());
            }
        } catch (UaException e) {
            throw new AssertionError("cannot browse " + path + ": " + e.getMessage(), e);
        }
        return names;
    }

    @Override
    public void close() throws UaException {
        if (client != null) {
            OpcUaClient c = client;
            client = null;
            c.disconnect();
        }
    }
}
