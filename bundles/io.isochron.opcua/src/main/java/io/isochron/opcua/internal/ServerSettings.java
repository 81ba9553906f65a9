package io.isochron.opcua.internal;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.eclipse.milo.opcua.stack.core.security.SecurityPolicy;

/**
 * A validated server configuration. {@link #from} rejects a bad configuration as a whole with one
 * message naming the property, the value and what is allowed.
 */
record ServerSettings(
        int port,
        String bindAddress,
        String hostname,
        Set<SecurityPolicy> securityPolicies,
        boolean anonymousAccess,
        Map<String, UserEntry> users,
        Path pkiDir,
        int samplingIntervalMs) {

    static final List<SecurityPolicy> ALLOWED_POLICIES = List.of(SecurityPolicy.None,
            SecurityPolicy.Basic256Sha256, SecurityPolicy.Aes128_Sha256_RsaOaep, SecurityPolicy.Aes256_Sha256_RsaPss);

    ServerSettings {
        securityPolicies = Set.copyOf(securityPolicies);
        users = Map.copyOf(users);
    }

    /**
     * @param defaultPkiDir used when {@code pkiDir} is empty
     * @throws IllegalArgumentException "property 'x' = value ..." for the first bad property
     */
    static ServerSettings from(OpcUaConfig c, Path defaultPkiDir) {
        if (c.port() < 1 || c.port() > 65535) {
            throw bad("port", c.port(), "is outside the allowed range 1..65535");
        }
        if (c.bindAddress() == null || c.bindAddress().isBlank()) {
            throw bad("bindAddress", "'" + c.bindAddress() + "'", "must be an address or host name (0.0.0.0 = all)");
        }
        Set<SecurityPolicy> policies = new LinkedHashSet<>();
        for (String name : c.securityPolicies()) {
            SecurityPolicy p = ALLOWED_POLICIES.stream().filter(a -> a.name().equals(name.trim())).findFirst()
                    .orElseThrow(() -> bad("securityPolicies", "'" + name + "'", "is not allowed (allowed: "
                            + String.join(", ", ALLOWED_POLICIES.stream().map(Enum::name).toList()) + ")"));
            policies.add(p);
        }
        if (policies.isEmpty()) {
            throw bad("securityPolicies", "[]", "needs at least one policy");
        }
        Map<String, UserEntry> users = new LinkedHashMap<>();
        List<String> entries = new ArrayList<>(List.of(c.users()));
        for (int i = 0; i < entries.size(); i++) {
            UserEntry u;
            try {
                u = UserEntry.parse(entries.get(i).trim());
            } catch (IllegalArgumentException e) {
                // The entry itself carries a hash: name its index, not its content.
                throw bad("users", "[" + i + "]", "is invalid: " + e.getMessage());
            }
            if (users.put(u.name(), u) != null) {
                throw bad("users", "[" + i + "]", "repeats the user '" + u.name() + "'");
            }
        }
        if (c.samplingIntervalMs() < 10 || c.samplingIntervalMs() > 10_000) {
            throw bad("samplingIntervalMs", c.samplingIntervalMs(), "is outside the allowed range 10..10000");
        }
        Path pki;
        try {
            pki = c.pkiDir() == null || c.pkiDir().isBlank() ? defaultPkiDir : Path.of(c.pkiDir());
        } catch (RuntimeException e) {
            throw bad("pkiDir", "'" + c.pkiDir() + "'", "is not a valid path");
        }
        String hostname = c.hostname() == null ? "" : c.hostname().trim();
        return new ServerSettings(c.port(), c.bindAddress().trim(), hostname, policies, c.anonymousAccess(), users,
                pki, c.samplingIntervalMs());
    }

    private static IllegalArgumentException bad(String property, Object value, String what) {
        return new IllegalArgumentException("property '" + property + "' = " + value + " " + what);
    }
}
