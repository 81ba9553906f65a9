package io.isochron.opcua.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.eclipse.milo.opcua.sdk.client.identity.AnonymousProvider;
import org.eclipse.milo.opcua.sdk.client.identity.UsernameProvider;
import org.eclipse.milo.opcua.stack.core.UaException;
import org.eclipse.milo.opcua.stack.core.security.SecurityPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Starting, stopping and restarting the server on one PKI directory. */
class ServerLifecycleTest {
    @TempDir
    Path pki;

    private final FakeAppliance appliance = new FakeAppliance();

    private IsochronServer start(int port, boolean anonymous) throws Exception {
        var settings = new ServerSettings(port, "127.0.0.1", "localhost", Set.of(SecurityPolicy.Basic256Sha256),
                anonymous, Map.of(), pki, 100, 5, 60);
        return IsochronServer.start(settings, appliance, appliance, List::of, () -> null);
    }

    @Test
    void theApplicationCertificateIsGeneratedOnceAndKept() throws Exception {
        int port = TestClients.freePort();
        X509Certificate first;
        try (IsochronServer server = start(port, true)) {
            first = server.certificate();
            assertThat(server.endpointUrls()).contains("opc.tcp://localhost:" + port + "/isochron");
        }
        assertThat(pki.resolve("own/server.pfx")).isRegularFile();
        assertThat(Files.getPosixFilePermissions(pki.resolve("own/server.pass")))
                .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        try (IsochronServer server = start(port, true)) {
            assertThat(server.certificate()).isEqualTo(first);
            TestClients.Credentials client = TestClients.newCredentials("after-restart");
            TestClients.trust(pki, client);
            TestClients.connect(port, SecurityPolicy.Basic256Sha256, client, new AnonymousProvider(), first)
                    .disconnect();
        }
    }

    @Test
    void repeatedWrongPasswordsLockTheClientAddressOutRightPasswordIncluded() throws Exception {
        int port = TestClients.freePort();
        UserEntry op = UserEntry.create("op", Role.OPERATOR, "right".toCharArray());
        var settings = new ServerSettings(port, "127.0.0.1", "localhost", Set.of(SecurityPolicy.Basic256Sha256),
                false, Map.of("op", op), pki, 100, 3, 60);
        try (IsochronServer server = IsochronServer.start(settings, appliance, appliance, List::of, () -> null)) {
            TestClients.Credentials client = TestClients.newCredentials("guesser");
            TestClients.trust(pki, client);
            TestClients.connect(port, SecurityPolicy.Basic256Sha256, client, new UsernameProvider("op", "right"),
                    server.certificate()).disconnect();
            for (int i = 0; i < 3; i++) {
                assertThatThrownBy(() -> TestClients.connect(port, SecurityPolicy.Basic256Sha256, client,
                        new UsernameProvider("op", "guess"), server.certificate()))
                        .isInstanceOf(UaException.class);
            }
            assertThatThrownBy(() -> TestClients.connect(port, SecurityPolicy.Basic256Sha256, client,
                    new UsernameProvider("op", "right"), server.certificate()))
                    .as("locked out for 60 s").isInstanceOf(UaException.class);
        }
    }

    @Test
    void aPortInUseIsReportedInOneLine() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            assertThatThrownBy(() -> start(taken.getLocalPort(), true))
                    .hasMessageStartingWith("cannot listen on 127.0.0.1:" + taken.getLocalPort()
                            + " (property 'port'/'bindAddress'): ")
                    .hasMessageContaining("in use");
        }
    }

    @Test
    void withoutAnonymousAccessAnAnonymousSessionIsRefused() throws Exception {
        int port = TestClients.freePort();
        try (IsochronServer server = start(port, false)) {
            TestClients.Credentials client = TestClients.newCredentials("anonymous");
            TestClients.trust(pki, client);
            assertThatThrownBy(() -> TestClients.connect(port, SecurityPolicy.Basic256Sha256, client,
                    new AnonymousProvider(), server.certificate()))
                    .isInstanceOf(UaException.class);
        }
    }
}
