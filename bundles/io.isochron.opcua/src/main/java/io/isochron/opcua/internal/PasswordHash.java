package io.isochron.opcua.internal;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * PBKDF2WithHmacSHA256 password hashes. The stored form carries its own iteration count so that
 * the default can be raised later without invalidating existing entries.
 */
final class PasswordHash {
    static final String ALGORITHM = "PBKDF2WithHmacSHA256";
    /** OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256. */
    static final int DEFAULT_ITERATIONS = 600_000;
    static final int MIN_ITERATIONS = 100_000;
    private static final int SALT_BYTES = 16;
    private static final int HASH_BITS = 256;

    private PasswordHash() {}

    static byte[] newSalt() {
        byte[] salt = new byte[SALT_BYTES];
        new SecureRandom().nextBytes(salt);
        return salt;
    }

    static byte[] hash(char[] password, byte[] salt, int iterations) {
        PBEKeySpec spec = new PBEKeySpec(password, salt, iterations, HASH_BITS);
        try {
            return SecretKeyFactory.getInstance(ALGORITHM).generateSecret(spec).getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(ALGORITHM + " is not available in this JVM", e);
        } finally {
            spec.clearPassword();
        }
    }

    /** Constant-time comparison, so the time taken does not tell how much of the hash matched. */
    static boolean matches(String password, byte[] salt, int iterations, byte[] expected) {
        char[] chars = password.toCharArray();
        try {
            return MessageDigest.isEqual(hash(chars, salt, iterations), expected);
        } finally {
            Arrays.fill(chars, '\0');
        }
    }

    static String encode(byte[] bytes) {
        return Base64.getEncoder().withoutPadding().encodeToString(bytes);
    }

    static byte[] decode(String base64) {
        return Base64.getDecoder().decode(base64.getBytes(StandardCharsets.US_ASCII));
    }
}
