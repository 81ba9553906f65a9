package io.isochron.opcua.internal;

import java.util.Arrays;

/**
 * One configured OPC UA user: {@code name:role:pbkdf2-sha256:iterations:salt:hash} with salt and
 * hash in Base64. No password is ever stored.
 */
record UserEntry(String name, Role role, int iterations, byte[] salt, byte[] hash) {
    static final String SCHEME = "pbkdf2-sha256";

    static UserEntry create(String name, Role role, char[] password) {
        checkName(name);
        byte[] salt = PasswordHash.newSalt();
        int iterations = PasswordHash.DEFAULT_ITERATIONS;
        return new UserEntry(name, role, iterations, salt, PasswordHash.hash(password, salt, iterations));
    }

    /** @throws IllegalArgumentException saying what is wrong, without repeating secret material */
    static UserEntry parse(String entry) {
        String[] f = entry.split(":", -1);
        if (f.length != 6) {
            throw new IllegalArgumentException("a user entry has 6 fields name:role:" + SCHEME
                    + ":iterations:salt:hash, this one has " + f.length);
        }
        checkName(f[0]);
        Role role = Role.parse(f[1]);
        if (!SCHEME.equals(f[2])) {
            throw new IllegalArgumentException("user '" + f[0] + "': scheme '" + f[2] + "' is not " + SCHEME);
        }
        int iterations;
        try {
            iterations = Integer.parseInt(f[3]);
        } catch (NumberFormatException e) {
            iterations = -1;
        }
        if (iterations < PasswordHash.MIN_ITERATIONS) {
            throw new IllegalArgumentException("user '" + f[0] + "': iterations '" + f[3]
                    + "' must be an integer >= " + PasswordHash.MIN_ITERATIONS);
        }
        byte[] salt;
        byte[] hash;
        try {
            salt = PasswordHash.decode(f[4]);
            hash = PasswordHash.decode(f[5]);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("user '" + f[0] + "': salt and hash must be Base64");
        }
        if (salt.length < 8 || hash.length != 32) {
            throw new IllegalArgumentException("user '" + f[0] + "': salt must have at least 8 bytes and the hash 32");
        }
        return new UserEntry(f[0], role, iterations, salt, hash);
    }

    private static void checkName(String name) {
        if (name.isBlank() || name.contains(":")) {
            throw new IllegalArgumentException("user name '" + name + "' must be non-blank and without ':'");
        }
    }

    boolean accepts(String password) {
        return PasswordHash.matches(password, salt, iterations, hash);
    }

    String format() {
        return String.join(":", name, role.configName(), SCHEME, Integer.toString(iterations),
                PasswordHash.encode(salt), PasswordHash.encode(hash));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof UserEntry u && name.equals(u.name) && role == u.role && iterations == u.iterations
                && Arrays.equals(salt, u.salt) && Arrays.equals(hash, u.hash);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(hash);
    }

    @Override
    public String toString() {
        return name + " (" + role.configName() + ")";
    }
}
