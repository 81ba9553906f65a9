package io.isochron.jitter;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Loads libisochron-jitter.so. Inside OSGi the framework has extracted it (Bundle-NativeCode); in
 * unit tests it is a file in the class output; in the command-line jar it is a resource that has to
 * be copied to a file first. Appliances often mount /tmp noexec, so several directories are tried:
 * {@code -Disochron.native.dir}, the temp directory, $XDG_RUNTIME_DIR, ~/.cache/isochron.
 */
final class NativeLibrary {
    static final String NAME = "isochron-jitter";
    static final String RESOURCE = "/native/linux-x86_64/lib" + NAME + ".so";
    static final String DIR_PROPERTY = "isochron.native.dir";

    private NativeLibrary() {}

    static void load() {
        try {
            System.loadLibrary(NAME);
            return;
        } catch (UnsatisfiedLinkError notOnLibraryPath) {
            // not in a framework, or not extracted by one: fall through to the resource
        }
        URL url = NativeLibrary.class.getResource(RESOURCE);
        if (url == null) {
            throw new UnsatisfiedLinkError("lib" + NAME + ".so is neither on the library path nor the resource " + RESOURCE
                    + " (this build supports Linux x86-64 only)");
        }
        if ("file".equals(url.getProtocol())) {
            try {
                System.load(new File(url.toURI()).getAbsolutePath());
                return;
            } catch (URISyntaxException e) {
                throw new IllegalStateException(e);
            }
        }
        List<String> failures = new ArrayList<>();
        for (Path dir : candidates()) {
            try {
                loadCopy(url, dir);
                return;
            } catch (IOException | UnsatisfiedLinkError e) {
                failures.add(dir + ": " + e.getMessage());
            }
        }
        throw new UnsatisfiedLinkError("cannot load lib" + NAME + ".so from a copy in any of " + failures
                + "; set -D" + DIR_PROPERTY + " to a writable directory not mounted noexec");
    }

    private static Set<Path> candidates() {
        Set<Path> dirs = new LinkedHashSet<>();
        String configured = System.getProperty(DIR_PROPERTY);
        if (configured != null && !configured.isBlank()) {
            dirs.add(Path.of(configured));
        }
        dirs.add(Path.of(System.getProperty("java.io.tmpdir")));
        String runtime = System.getenv("XDG_RUNTIME_DIR");
        if (runtime != null && !runtime.isBlank()) {
            dirs.add(Path.of(runtime));
        }
        dirs.add(Path.of(System.getProperty("user.home"), ".cache", "isochron"));
        return dirs;
    }

    private static void loadCopy(URL url, Path dir) throws IOException {
        Files.createDirectories(dir);
        Path file = Files.createTempFile(dir, "lib" + NAME + "-", ".so");
        try {
            try (InputStream in = url.openStream()) {
                Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            }
            System.load(file.toAbsolutePath().toString());
        } finally {
            // The mapping stays valid after unlinking; nothing is left behind.
            Files.deleteIfExists(file);
        }
    }
}
