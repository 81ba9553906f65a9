package io.isochron.config;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * A secret kept out of ConfigAdmin (whose store holds configuration in plain files): a password or
 * user entries in a file of their own, e.g. one systemd passes with {@code LoadCredential=}. The
 * content never appears in a message; a file that others can read is used, with one warning.
 */
public final class SecretFile {
    private static final System.Logger LOG = System.getLogger("io.isochron.config");
    private static final Set<PosixFilePermission> OTHERS = EnumSet.of(PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE);

    private SecretFile() {}

    /** A relative path names a credential in {@code $CREDENTIALS_DIRECTORY} (systemd), if that is set. */
    public static Path resolve(String path) {
        return resolve(path, System.getenv("CREDENTIALS_DIRECTORY"));
    }

    static Path resolve(String path, String credentialsDirectory) {
        Path p = Path.of(path);
        if (!p.isAbsolute() && credentialsDirectory != null && !credentialsDirectory.isBlank()) {
            return Path.of(credentialsDirectory).resolve(p);
        }
        return p;
    }

    /** The file's first line, without its line end: a password. */
    public static String firstLine(Path file) {
        List<String> lines = lines(file);
        return lines.isEmpty() ? "" : lines.get(0);
    }

    /**
     * @throws IllegalArgumentException the end of a phrase "property 'x' = 'file' ...": what is wrong
     *     with the file, never what is in it
     */
    public static List<String> lines(Path file) {
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new IllegalArgumentException("is not a readable file");
        }
        try {
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
            if (mode.stream().anyMatch(OTHERS::contains)) {
                LOG.log(Level.WARNING, "secret file " + file + " can be read or written by others than its owner ("
                        + java.nio.file.attribute.PosixFilePermissions.toString(mode) + "); chmod 600 it");
            }
        } catch (IOException | UnsupportedOperationException notPosix) {
            // nothing to check on this file system
        }
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot be read: " + e.getClass().getSimpleName());
        }
    }
}
