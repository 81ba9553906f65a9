package io.isochron.opcua.internal;

import static org.eclipse.milo.opcua.sdk.server.OpcUaServerConfig.USER_TOKEN_POLICY_ANONYMOUS;
import static org.eclipse.milo.opcua.sdk.server.OpcUaServerConfig.USER_TOKEN_POLICY_USERNAME;
import static org.eclipse.milo.opcua.sdk.server.OpcUaServerConfig.USER_TOKEN_POLICY_X509;

import io.isochron.api.runtime.JitterStats;
import io.isochron.api.runtime.PolicyControl;
import io.isochron.api.runtime.SchedulerStateSource;
import io.isochron.api.runtime.TelemetryBufferStats;
import io.isochron.log.RateLimitedLog;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.security.Provider;
import java.security.Security;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.eclipse.milo.opcua.sdk.server.EndpointConfig;
import org.eclipse.milo.opcua.sdk.server.OpcUaServer;
import org.eclipse.milo.opcua.sdk.server.OpcUaServerConfig;
import org.eclipse.milo.opcua.sdk.server.Session;
import org.eclipse.milo.opcua.sdk.server.identity.AbstractUsernameIdentityValidator;
import org.eclipse.milo.opcua.sdk.server.identity.AnonymousIdentityValidator;
import org.eclipse.milo.opcua.sdk.server.identity.CompositeValidator;
import org.eclipse.milo.opcua.sdk.server.identity.DefaultUsernameIdentity;
import org.eclipse.milo.opcua.sdk.server.identity.Identity;
import org.eclipse.milo.opcua.sdk.server.identity.IdentityValidator;
import org.eclipse.milo.opcua.sdk.server.identity.X509IdentityValidator;
import org.eclipse.milo.opcua.sdk.server.nodes.factories.NodeFactory;
import org.eclipse.milo.opcua.sdk.server.util.HostnameUtil;
import org.eclipse.milo.opcua.stack.core.NodeIds;
import org.eclipse.milo.opcua.stack.core.Stack;
import org.eclipse.milo.opcua.stack.core.security.SecurityPolicy;
import org.eclipse.milo.opcua.stack.core.transport.TransportProfile;
import org.eclipse.milo.opcua.stack.core.types.builtin.DateTime;
import org.eclipse.milo.opcua.stack.core.types.builtin.LocalizedText;
import org.eclipse.milo.opcua.stack.core.types.builtin.NodeId;
import org.eclipse.milo.opcua.stack.core.types.enumerated.MessageSecurityMode;
import org.eclipse.milo.opcua.stack.core.types.enumerated.UserTokenType;
import org.eclipse.milo.opcua.stack.core.types.structured.BuildInfo;
import org.eclipse.milo.opcua.stack.core.types.structured.UserTokenPolicy;
import org.eclipse.milo.opcua.stack.core.util.CertificateUtil;
import org.eclipse.milo.opcua.stack.transport.server.tcp.OpcTcpServerTransport;
import org.eclipse.milo.opcua.stack.transport.server.tcp.OpcTcpServerTransportConfig;

/**
 * A running OPC UA server for the appliance: endpoints, identities and PKI from {@link ServerSettings},
 * the address space from {@link IsochronNamespace}. Needs no OSGi.
 */
final class IsochronServer implements AutoCloseable {
    static final String PATH = "/isochron";
    static final String PRODUCT_URI = "urn:isochron:appliance";
    private static final long START_TIMEOUT_SECONDS = 30;
    private static final System.Logger LOG = System.getLogger(OpcUaConfig.PID);
    /** Failed logins from one address count within this window (OpcUaConfig.loginMaxFailures). */
    static final long LOGIN_WINDOW_NANOS = TimeUnit.SECONDS.toNanos(60);

    /** A password token on an unencrypted endpoint is still encrypted with the server certificate. */
    private static final UserTokenPolicy USER_TOKEN_POLICY_USERNAME_ENCRYPTED = new UserTokenPolicy(
            "username-basic256sha256", UserTokenType.UserName, null, null, SecurityPolicy.Basic256Sha256.getUri());

    private final OpcUaServer server;
    private final IsochronNamespace namespace;
    private final Pki pki;
    private final List<String> endpointUrls;

    private IsochronServer(OpcUaServer server, IsochronNamespace namespace, Pki pki, List<String> endpointUrls) {
        this.server = server;
        this.namespace = namespace;
        this.pki = pki;
        this.endpointUrls = endpointUrls;
    }

    /**
     * Starts the server and returns when it listens.
     *
     * @throws IOException with a one-line reason when it cannot listen or the PKI directory is unusable
     */
    /** @param buffer the MQTT store-and-forward buffer's counters, null while MQTT does not run */
    static IsochronServer start(ServerSettings settings, SchedulerStateSource state, PolicyControl control,
            Supplier<List<JitterStats>> jitter, Supplier<TelemetryBufferStats> buffer) throws Exception {
        if (settings.securityPolicies().contains(SecurityPolicy.Aes256_Sha256_RsaPss)
                && Security.getProvider(BouncyCastleProvider.PROVIDER_NAME) == null) {
            // The JDK has no "SHA256withRSA/PSS" signature that the RSA-PSS policy asks for.
            Security.addProvider(new BouncyCastleProvider());
        }
        forgetInstantiatedTypes();
        String hostname = settings.hostname().isEmpty() ? HostnameUtil.getHostname() : settings.hostname();
        Pki pki;
        try {
            pki = Pki.open(settings.pkiDir(), "urn:" + hostname + ":isochron:appliance", hostname);
        } catch (IOException e) {
            throw new IOException("PKI directory " + settings.pkiDir() + " (property 'pkiDir') is unusable: " + e, e);
        }
        OpcUaServer server = null;
        IsochronNamespace namespace = null;
        try {
            X509Certificate certificate = pki.certificate();
            // A kept certificate keeps its application URI, even when the host name changed since.
            String applicationUri = CertificateUtil.getSanUri(certificate)
                    .orElseThrow(() -> new IOException("the certificate in " + pki.dir() + "/own has no application URI"));
            Set<EndpointConfig> endpoints = endpoints(settings, hostname, certificate);
            OpcUaServerConfig config = OpcUaServerConfig.builder()
                    .setApplicationUri(applicationUri)
                    .setApplicationName(LocalizedText.english("Isochron " + hostname))
                    .setProductUri(PRODUCT_URI)
                    .setBuildInfo(new BuildInfo(PRODUCT_URI, "Isochron", "Isochron OPC UA server",
                            OpcUaServer.SDK_VERSION, "", DateTime.now()))
                    .setEndpoints(endpoints)
                    .setCertificateManager(pki.certificateManager())
                    .setIdentityValidator(identityValidator(settings, pki))
                    .build();
            server = new OpcUaServer(config, profile -> {
                OpcTcpServerTransportConfig transport = OpcTcpServerTransportConfig.newBuilder().build();
                return new OpcTcpServerTransport(transport);
            });
            namespace = new IsochronNamespace(server, state, control, jitter, buffer,
                    session -> roleOf(session) == Role.OPERATOR, settings.samplingIntervalMs());
            namespace.startup();
            try {
                server.startup().get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                throw new IOException("cannot listen on " + settings.bindAddress() + ":" + settings.port()
                        + " (property 'port'/'bindAddress'): " + bindProblem(settings, e.getCause()), e);
            }
            List<String> urls = endpoints.stream()
                    .map(EndpointConfig::getEndpointUrl).distinct().sorted().toList();
            return new IsochronServer(server, namespace, pki, urls);
        } catch (Exception e) {
            if (namespace != null) {
                namespace.shutdown();
            }
            if (server != null) {
                server.shutdown().get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            }
            pki.close();
            throw e;
        }
    }

    /** Milo only says "No endpoints bound" and logs the cause; find out whether the port is taken. */
    private static String bindProblem(ServerSettings settings, Throwable failure) {
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress(InetAddress.getByName(settings.bindAddress()), settings.port()));
            return failure.getMessage();
        } catch (BindException e) {
            return "address already in use (" + e.getMessage() + ")";
        } catch (IOException e) {
            return e.getMessage();
        }
    }

    private static Set<EndpointConfig> endpoints(ServerSettings settings, String hostname, X509Certificate cert) {
        List<UserTokenPolicy> secureTokens = new ArrayList<>();
        if (settings.anonymousAccess()) {
            secureTokens.add(USER_TOKEN_POLICY_ANONYMOUS);
        }
        List<UserTokenPolicy> plainTokens = new ArrayList<>(secureTokens);
        secureTokens.addAll(List.of(USER_TOKEN_POLICY_USERNAME, USER_TOKEN_POLICY_X509));
        plainTokens.addAll(List.of(USER_TOKEN_POLICY_USERNAME_ENCRYPTED, USER_TOKEN_POLICY_X509));

        EndpointConfig.Builder base = EndpointConfig.newBuilder()
                .setTransportProfile(TransportProfile.TCP_UASC_UABINARY)
                .setBindAddress(settings.bindAddress())
                .setBindPort(settings.port())
                .setHostname(hostname)
                .setPath(PATH)
                .setCertificate(cert);
        Set<EndpointConfig> endpoints = new LinkedHashSet<>();
        for (SecurityPolicy policy : settings.securityPolicies()) {
            boolean none = policy == SecurityPolicy.None;
            EndpointConfig.Builder b = base.copy()
                    .setSecurityPolicy(policy)
                    .setSecurityMode(none ? MessageSecurityMode.None : MessageSecurityMode.SignAndEncrypt);
            (none ? plainTokens : secureTokens).forEach(b::addTokenPolicy);
            endpoints.add(b.build());
        }
        // OPC UA Part 12: an unsecured discovery endpoint lets clients find the secured ones.
        endpoints.add(base.copy()
                .setPath(PATH + "/discovery")
                .setSecurityPolicy(SecurityPolicy.None)
                .setSecurityMode(MessageSecurityMode.None)
                .addTokenPolicy(USER_TOKEN_POLICY_ANONYMOUS)
                .build());
        return endpoints;
    }

    private static IdentityValidator identityValidator(ServerSettings settings, Pki pki) {
        List<IdentityValidator> validators = new ArrayList<>();
        if (settings.anonymousAccess()) {
            validators.add(AnonymousIdentityValidator.INSTANCE);
        }
        validators.add(new UserValidator(settings.users(), new LoginThrottle(settings.loginMaxFailures(),
                LOGIN_WINDOW_NANOS, TimeUnit.SECONDS.toNanos(settings.loginLockoutSeconds()))));
        validators.add(new X509IdentityValidator(pki::isTrustedUser));
        return new CompositeValidator(validators);
    }

    /**
     * Username/password against the configured salted hashes; the identity carries the user's role.
     * Failed logins are logged (rate-limited, never the password) and throttled per client address.
     */
    private static final class UserValidator extends AbstractUsernameIdentityValidator {
        private final Map<String, UserEntry> users;
        private final LoginThrottle throttle;
        private final RateLimitedLog failures = new RateLimitedLog(LOG, Duration.ofSeconds(10));

        UserValidator(Map<String, UserEntry> users, LoginThrottle throttle) {
            this.users = users;
            this.throttle = throttle;
        }

        @Override
        protected Identity.UsernameIdentity authenticateUsernamePassword(Session session, String username,
                String password) {
            InetAddress from = session.getClientAddress();
            String client = from == null ? "an unknown address" : from.getHostAddress();
            long now = System.nanoTime();
            if (throttle.attempt(client, now) == LoginThrottle.Verdict.LOCKED_OUT) {
                failures.log(Level.WARNING, "OPC UA login as '" + printable(username) + "' from " + client
                        + " refused: the address is locked out after repeated failed logins");
                return null;
            }
            UserEntry user = users.get(username);
            if (user == null || !user.accepts(password)) {
                if (throttle.failed(client, now)) {
                    LOG.log(Level.WARNING, "OPC UA: " + client + " locked out after repeated failed logins (last as '"
                            + printable(username) + "')");
                } else {
                    failures.log(Level.WARNING, "OPC UA: failed login as '" + printable(username) + "' from " + client);
                }
                return null;
            }
            throttle.succeeded(client);
            var identity = new DefaultUsernameIdentity(username);
            identity.setUserData(user.role());
            return identity;
        }

        /** A user name as a client sent it, safe for one log line. */
        private static String printable(String name) {
            String s = name == null ? "" : name.replaceAll("\\p{Cntrl}", "?");
            return s.length() > 64 ? s.substring(0, 61) + "..." : s;
        }
    }

    /** Trusted X.509 users are operators; password users have their configured role; anonymous views. */
    static Role roleOf(Session session) {
        Identity identity = session.getIdentity();
        if (identity instanceof Identity.X509UserIdentity) {
            return Role.OPERATOR;
        }
        return identity != null && identity.getUserData() instanceof Role r ? r : Role.VIEWER;
    }

    List<String> endpointUrls() {
        return endpointUrls;
    }

    X509Certificate certificate() {
        return pki.certificate();
    }

    @Override
    public void close() throws IOException {
        try {
            namespace.shutdown();
            server.shutdown().get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while stopping the OPC UA server", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("the OPC UA server did not stop: " + e, e);
        } finally {
            pki.close();
        }
    }

    /**
     * Milo caches, per class loader, how to instantiate a type, with nodes of the server that did it
     * first; a new server (after a configuration change) must not reuse those. One server at a time.
     */
    private static void forgetInstantiatedTypes() {
        for (NodeId type : List.of(NodeIds.AnalogUnitRangeType, NodeIds.SessionDiagnosticsObjectType,
                NodeIds.SessionDiagnosticsVariableType, NodeIds.SessionSecurityDiagnosticsType,
                NodeIds.SubscriptionDiagnosticsType)) {
            NodeFactory.invalidateCachedIdh(type);
        }
    }

    /**
     * Releases what Milo and BouncyCastle keep JVM-wide for classes of this bundle: the shared
     * Netty event loop and executors, and the security provider if it is ours. For bundle stop only.
     */
    static void releaseGlobalResources() {
        Stack.releaseSharedResources();
        Provider bc = Security.getProvider(BouncyCastleProvider.PROVIDER_NAME);
        if (bc != null && bc.getClass().getClassLoader() == IsochronServer.class.getClassLoader()) {
            Security.removeProvider(BouncyCastleProvider.PROVIDER_NAME);
        }
    }
}
