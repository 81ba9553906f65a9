package io.isochron.opcua.internal;

import io.isochron.config.SecretFile;
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
        int samplingIntervalMs,
        int loginMaxFailures,
        int loginLockoutSeconds) {

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
            addUser(users, entries.get(i), "users", "[" + i + "]");
        }
        if (c.usersFile() != null && !c.usersFile().isBlank()) {
            Path file = SecretFile.resolve(c.usersFile().trim());
            List<String> lines;
            try {
                lines = SecretFile.lines(file);
            } catch (IllegalArgumentException e) {
                throw bad("usersFile", "'" + c.usersFile() + "'", e.getMessage());
            }
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i).trim();
                if (!line.isEmpty() && !line.startsWith("#")) {
                    addUser(users, line, "usersFile", file + ":" + (i + 1));
                }
            }
        }
        if (c.loginMaxFailures() < 0 || c.loginMaxFailures() > 1000) {
            throw bad("loginMaxFailures", c.loginMaxFailures(), "is outside the allowed range 0..1000 (0: no lock-out)");
        }
        if (c.loginLockoutSeconds() < 1 || c.loginLockoutSeconds() > 86_400) {
            throw bad("loginLockoutSeconds", c.loginLockoutSeconds(), "is outside the allowed range 1..86400");
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
                pki, c.samplingIntervalMs(), c.loginMaxFailures(), c.loginLockoutSeconds());
    }

    /** @param where names the entry (an index or file:line), never its content, which carries a hash */
    private static void addUser(Map<String, UserEntry> users, String entry, String property, String where) {
        UserEntry u;
        try {
            u = UserEntry.parse(entry.trim());
        } catch (IllegalArgumentException e) {
            throw bad(property, where, "is invalid: " + e.getMessage());
        }
        if (users.put(u.name(), u) != null) {
            throw bad(property, where, "repeats the user '" + u.name() + "'");
        }
    }

    private static IllegalArgumentException bad(String property, Object value, String what) {
        return new IllegalArgumentException("property '" + property + "' = " + value + " " + what);
    }
}
