package io.isochron.opcua.internal;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.stream.Stream;
import org.eclipse.milo.opcua.stack.core.NodeIds;
import org.eclipse.milo.opcua.stack.core.security.CertificateManager;
import org.eclipse.milo.opcua.stack.core.security.DefaultApplicationGroup;
import org.eclipse.milo.opcua.stack.core.security.DefaultCertificateManager;
import org.eclipse.milo.opcua.stack.core.security.DefaultServerCertificateValidator;
import org.eclipse.milo.opcua.stack.core.security.FileBasedCertificateQuarantine;
import org.eclipse.milo.opcua.stack.core.security.FileBasedTrustListManager;
import org.eclipse.milo.opcua.stack.core.security.KeyStoreCertificateStore;
import org.eclipse.milo.opcua.stack.core.security.RsaSha256CertificateFactory;
import org.eclipse.milo.opcua.stack.core.util.SelfSignedCertificateBuilder;

/**
 * The server's PKI directory:
 *
 * <pre>
 * own/server.pfx, own/server.pass   the application certificate and key, generated on first start
 * trusted/certs, trusted/crl        client application certificates (and CAs) that may connect
 * issuers/certs, issuers/crl        CAs only used to complete chains
 * rejected/                         certificates of clients that tried and were not trusted
 * users/                            X.509 user certificates that authenticate as operator
 * </pre>
 */
final class Pki implements Closeable {
    private final Path dir;
    private final FileBasedTrustListManager trustList;
    private final KeyStoreCertificateStore store;
    private final CertificateManager certificateManager;
    private final X509Certificate certificate;

    private Pki(Path dir, FileBasedTrustListManager trustList, KeyStoreCertificateStore store,
            CertificateManager certificateManager, X509Certificate certificate) {
        this.dir = dir;
        this.trustList = trustList;
        this.store = store;
        this.certificateManager = certificateManager;
        this.certificate = certificate;
    }

    /**
     * Opens the PKI directory, creating what is missing, and generates the application certificate
     * when none is kept there yet.
     */
    static Pki open(Path dir, String applicationUri, String hostname) throws Exception {
        Path own = Files.createDirectories(dir.resolve("own"));
        Files.createDirectories(dir.resolve("users"));
        char[] password = keyStorePassword(own.resolve("server.pass"));
        var store = new KeyStoreCertificateStore(new KeyStoreCertificateStore.Settings(
                own.resolve("server.pfx"), () -> password, alias -> password));
        FileBasedTrustListManager trustList = null;
        try {
            store.initialize();
            trustList = FileBasedTrustListManager.createAndInitialize(dir);
            var quarantine = FileBasedCertificateQuarantine.create(dir.resolve("rejected"));
            var factory = new RsaSha256CertificateFactory() {
                @Override
                protected X509Certificate[] createRsaSha256CertificateChain(KeyPair keyPair) throws Exception {
                    SelfSignedCertificateBuilder b = new SelfSignedCertificateBuilder(keyPair)
                            .setCommonName("Isochron OPC UA server " + hostname)
                            .setOrganization("Isochron")
                            .setApplicationUri(applicationUri)
                            .addDnsName(hostname);
                    if (!hostname.equals("localhost")) {
                        b.addDnsName("localhost");
                    }
                    return new X509Certificate[] {b.addIpAddress("127.0.0.1").build()};
                }
            };
            var group = DefaultApplicationGroup.createAndInitialize(trustList, store, factory,
                    new DefaultServerCertificateValidator(trustList, quarantine));
            X509Certificate cert = group.getCertificateChain(NodeIds.RsaSha256ApplicationCertificateType)
                    .orElseThrow(() -> new IOException("no application certificate in " + own))[0];
            return new Pki(dir, trustList, store, new DefaultCertificateManager(quarantine, group), cert);
        } catch (Exception e) {
            store.close();
            if (trustList != null) {
                trustList.close();
            }
            throw e;
        }
    }

    /** A random password, kept owner-readable only next to the key store it protects. */
    private static char[] keyStorePassword(Path file) throws IOException {
        if (!Files.exists(file)) {
            byte[] random = new byte[24];
            new SecureRandom().nextBytes(random);
            try {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException e) {
                Files.createFile(file);
            }
            Files.writeString(file, Base64.getEncoder().encodeToString(random), StandardCharsets.US_ASCII);
        }
        return Files.readString(file, StandardCharsets.US_ASCII).trim().toCharArray();
    }

    Path dir() {
        return dir;
    }

    CertificateManager certificateManager() {
        return certificateManager;
    }

    X509Certificate certificate() {
        return certificate;
    }

    /**
     * Whether {@code user} is one of the certificates in users/ (DER or PEM), read on every call so
     * that adding or removing a file takes effect for the next session, and currently valid.
     */
    boolean isTrustedUser(X509Certificate user) {
        try {
            user.checkValidity();
        } catch (CertificateException e) {
            return false;
        }
        try (Stream<Path> files = Files.list(dir.resolve("users"))) {
            return files.filter(Files::isRegularFile).anyMatch(f -> contains(f, user));
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean contains(Path file, X509Certificate user) {
        try (InputStream in = Files.newInputStream(file)) {
            return CertificateFactory.getInstance("X.509").generateCertificates(in).contains(user);
        } catch (IOException | CertificateException e) {
            return false;
        }
    }

    @Override
    public void close() throws IOException {
        try {
            store.close();
        } finally {
            trustList.close();
        }
    }
}
