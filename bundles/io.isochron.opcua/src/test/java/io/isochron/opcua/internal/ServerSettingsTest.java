package io.isochron.opcua.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.Map;
import org.eclipse.milo.opcua.stack.core.security.SecurityPolicy;
import org.junit.jupiter.api.Test;

class ServerSettingsTest {
    private static final Path DEFAULT_PKI = Path.of("/var/lib/isochron/opcua/pki");

    /** The configuration ConfigAdmin would hand over: the metatype defaults with some properties set. */
    static OpcUaConfig config(Map<String, Object> set) {
        return (OpcUaConfig) Proxy.newProxyInstance(OpcUaConfig.class.getClassLoader(),
                new Class<?>[] {OpcUaConfig.class},
                (proxy, method, args) -> set.getOrDefault(method.getName(), method.getDefaultValue()));
    }

    @Test
    void theDefaultsServeSecurelyOn4840() {
        ServerSettings s = ServerSettings.from(config(Map.of()), DEFAULT_PKI);
        assertThat(s.port()).isEqualTo(4840);
        assertThat(s.bindAddress()).isEqualTo("0.0.0.0");
        assertThat(s.securityPolicies())
                .containsExactlyInAnyOrder(SecurityPolicy.Basic256Sha256, SecurityPolicy.Aes256_Sha256_RsaPss);
        assertThat(s.anonymousAccess()).isTrue();
        assertThat(s.users()).isEmpty();
        assertThat(s.pkiDir()).isEqualTo(DEFAULT_PKI);
        assertThat(s.samplingIntervalMs()).isEqualTo(100);
    }

    @Test
    void badValuesAreNamedWithWhatIsAllowed() {
        assertThatThrownBy(() -> ServerSettings.from(config(Map.of("port", 70000)), DEFAULT_PKI))
                .hasMessage("property 'port' = 70000 is outside the allowed range 1..65535");
        assertThatThrownBy(() -> ServerSettings.from(config(Map.of("securityPolicies", new String[] {"Basic128Rsa15"})),
                DEFAULT_PKI))
                .hasMessage("property 'securityPolicies' = 'Basic128Rsa15' is not allowed "
                        + "(allowed: None, Basic256Sha256, Aes128_Sha256_RsaOaep, Aes256_Sha256_RsaPss)");
        assertThatThrownBy(() -> ServerSettings.from(config(Map.of("samplingIntervalMs", 1)), DEFAULT_PKI))
                .hasMessage("property 'samplingIntervalMs' = 1 is outside the allowed range 10..10000");
        assertThatThrownBy(() -> ServerSettings.from(config(Map.of("bindAddress", " ")), DEFAULT_PKI))
                .hasMessageStartingWith("property 'bindAddress' = ' '");
    }

    @Test
    void aBadUserEntryIsNamedByIndexNotByContent() {
        String good = UserEntry.create("anna", Role.OPERATOR, "pw".toCharArray()).format();
        assertThatThrownBy(() -> ServerSettings.from(
                config(Map.of("users", new String[] {good, "bob:operator:topsecret"})), DEFAULT_PKI))
                .hasMessageStartingWith("property 'users' = [1] is invalid: a user entry has 6 fields")
                .hasMessageNotContaining("topsecret");
        assertThatThrownBy(() -> ServerSettings.from(config(Map.of("users", new String[] {good, good})), DEFAULT_PKI))
                .hasMessage("property 'users' = [1] repeats the user 'anna'");
    }

    @Test
    void usersCanComeFromAFileKeptOutOfConfigAdmin(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        String anna = UserEntry.create("anna", Role.OPERATOR, "pw".toCharArray()).format();
        String bob = UserEntry.create("bob", Role.VIEWER, "pw".toCharArray()).format();
        Path file = java.nio.file.Files.writeString(dir.resolve("users"), "# operators\n" + bob + "\n\n");
        ServerSettings s = ServerSettings.from(config(Map.of("users", new String[] {anna}, "usersFile", file.toString())),
                DEFAULT_PKI);
        assertThat(s.users()).containsOnlyKeys("anna", "bob");
        assertThatThrownBy(() -> ServerSettings.from(config(Map.of("usersFile", dir.resolve("nope").toString())),
                DEFAULT_PKI)).hasMessage("property 'usersFile' = '" + dir.resolve("nope") + "' is not a readable file");
        java.nio.file.Files.writeString(file, bob + "\nbob:operator:topsecret\n");
        assertThatThrownBy(() -> ServerSettings.from(config(Map.of("usersFile", file.toString())), DEFAULT_PKI))
                .hasMessageStartingWith("property 'usersFile' = " + file + ":2 is invalid")
                .hasMessageNotContaining("topsecret");
        assertThatThrownBy(() -> ServerSettings.from(config(Map.of("loginMaxFailures", -1)), DEFAULT_PKI))
                .hasMessageStartingWith("property 'loginMaxFailures' = -1 is outside the allowed range 0..1000");
    }

    @Test
    void theNoneEndpointOnlyWhenConfiguredAndAnExplicitPkiDirWins() {
        ServerSettings s = ServerSettings.from(config(Map.of("securityPolicies",
                new String[] {"None", "Basic256Sha256"}, "pkiDir", "/tmp/pki")), DEFAULT_PKI);
        assertThat(s.securityPolicies()).contains(SecurityPolicy.None);
        assertThat(s.pkiDir()).isEqualTo(Path.of("/tmp/pki"));
    }
}
