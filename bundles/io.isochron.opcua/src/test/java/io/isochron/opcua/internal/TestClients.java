package io.isochron.opcua.internal;

import static org.eclipse.milo.opcua.stack.core.types.builtin.unsigned.Unsigned.uint;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.milo.opcua.sdk.client.OpcUaClient;
import org.eclipse.milo.opcua.sdk.client.identity.IdentityProvider;
import org.eclipse.milo.opcua.stack.core.AttributeId;
import org.eclipse.milo.opcua.stack.core.NodeIds;
import org.eclipse.milo.opcua.stack.core.UaException;
import org.eclipse.milo.opcua.stack.core.security.SecurityPolicy;
import org.eclipse.milo.opcua.stack.core.types.builtin.DataValue;
import org.eclipse.milo.opcua.stack.core.types.builtin.LocalizedText;
import org.eclipse.milo.opcua.stack.core.types.builtin.NodeId;
import org.eclipse.milo.opcua.stack.core.types.builtin.QualifiedName;
import org.eclipse.milo.opcua.stack.core.types.enumerated.BrowseDirection;
import org.eclipse.milo.opcua.stack.core.types.enumerated.BrowseResultMask;
import org.eclipse.milo.opcua.stack.core.types.enumerated.TimestampsToReturn;
import org.eclipse.milo.opcua.stack.core.types.structured.BrowseDescription;
import org.eclipse.milo.opcua.stack.core.types.structured.BrowseResult;
import org.eclipse.milo.opcua.stack.core.types.structured.ReadValueId;
import org.eclipse.milo.opcua.stack.core.types.structured.ReferenceDescription;
import org.eclipse.milo.opcua.stack.core.util.SelfSignedCertificateBuilder;
import org.eclipse.milo.opcua.stack.core.util.SelfSignedCertificateGenerator;

/** Milo clients with their own application certificate, and browsing helpers. */
final class TestClients {
    private TestClients() {}

    record Credentials(KeyPair keyPair, X509Certificate certificate, String applicationUri) {}

    static Credentials newCredentials(String name) throws Exception {
        KeyPair keyPair = SelfSignedCertificateGenerator.generateRsaKeyPair(2048);
        String uri = "urn:isochron:test:" + name;
        X509Certificate cert = new SelfSignedCertificateBuilder(keyPair)
                .setCommonName(name)
                .setApplicationUri(uri)
                .addDnsName("localhost")
                .build();
        return new Credentials(keyPair, cert, uri);
    }

    /** Puts the client's certificate where the server looks for trusted application certificates. */
    static void trust(Path pkiDir, Credentials client) throws Exception {
        Path certs = Files.createDirectories(pkiDir.resolve("trusted/certs"));
        Files.write(certs.resolve(client.applicationUri().replace(':', '_') + ".der"),
                client.certificate().getEncoded());
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Connects over {@code policy}/SignAndEncrypt, trusting only {@code serverCertificate}. */
    static OpcUaClient connect(int port, SecurityPolicy policy, Credentials client, IdentityProvider identity,
            X509Certificate serverCertificate) throws UaException {
        OpcUaClient c = OpcUaClient.create("opc.tcp://localhost:" + port + IsochronServer.PATH,
                endpoints -> endpoints.stream()
                        .filter(e -> e.getSecurityPolicyUri().equals(policy.getUri()))
                        .findFirst(),
                transport -> {},
                config -> config
                        .setApplicationName(LocalizedText.english("isochron test client"))
                        .setApplicationUri(client.applicationUri())
                        .setKeyPair(client.keyPair())
                        .setCertificate(client.certificate())
                        .setCertificateChain(new X509Certificate[] {client.certificate()})
                        .setCertificateValidator((chain, uri, hostnames) -> {
                            if (!chain.get(0).equals(serverCertificate)) {
                                throw new UaException(
                                        org.eclipse.milo.opcua.stack.core.StatusCodes.Bad_CertificateUntrusted);
                            }
                        })
                        .setIdentityProvider(identity)
                        .setRequestTimeout(uint(10_000)));
        return c.connect();
    }

    static NodeId node(OpcUaClient client, String path) {
        var ns = client.getNamespaceTable().getIndex(IsochronNamespace.URI);
        return new NodeId(ns, path);
    }

    /** Every node below {@code start} by hierarchical references: browse path -> reference. */
    static Map<String, ReferenceDescription> browseTree(OpcUaClient client, NodeId start, String startPath)
            throws UaException {
        Map<String, ReferenceDescription> tree = new LinkedHashMap<>();
        browse(client, start, startPath, tree);
        return tree;
    }

    private static void browse(OpcUaClient client, NodeId node, String path, Map<String, ReferenceDescription> tree)
            throws UaException {
        BrowseResult result = client.browse(new BrowseDescription(node, BrowseDirection.Forward,
                NodeIds.HierarchicalReferences, true, uint(0), uint(BrowseResultMask.All.getValue())));
        for (ReferenceDescription r : result.getReferences()) {
            String childPath = path + "/" + r.getBrowseName().name();
            tree.put(childPath, r);
            NodeId child = r.getNodeId().toNodeId(client.getNamespaceTable()).orElseThrow();
            browse(client, child, childPath, tree);
        }
    }

    static DataValue readAttribute(OpcUaClient client, NodeId node, AttributeId attribute) throws UaException {
        return client.read(0.0, TimestampsToReturn.Both,
                List.of(new ReadValueId(node, attribute.uid(), null, QualifiedName.NULL_VALUE)))
                .getResults()[0];
    }
}
