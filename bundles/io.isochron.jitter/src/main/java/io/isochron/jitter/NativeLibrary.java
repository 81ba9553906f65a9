package io.isochron.jitter;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Loads libisochron-jitter.so. Inside OSGi the framework has extracted it (Bundle-NativeCode); in
 * unit tests it is a file in the class output; in the command-line jar it is a resource that has to
 * be copied to a file first — into {@code -Disochron.native.dir} when set, else the temp directory
 * (which must not be mounted noexec).
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
        try {
            if ("file".equals(url.getProtocol())) {
                System.load(new File(url.toURI()).getAbsolutePath());
                return;
            }
            String configured = System.getProperty(DIR_PROPERTY);
            Path dir = Files.createDirectories(Path.of(configured != null ? configured : System.getProperty("java.io.tmpdir")));
            Path file = Files.createTempFile(dir, "lib" + NAME + "-", ".so");
            try (InputStream in = url.openStream()) {
                Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            }
            try {
                System.load(file.toAbsolutePath().toString());
            } catch (UnsatisfiedLinkError e) {
                UnsatisfiedLinkError clear = new UnsatisfiedLinkError("cannot load " + file + " (" + e.getMessage()
                        + "); if " + dir + " is mounted noexec, set -D" + DIR_PROPERTY + "=<an executable directory>");
                clear.initCause(e);
                throw clear;
            } finally {
                // The mapping stays valid after unlinking; nothing is left behind in the temp directory.
                Files.deleteIfExists(file);
            }
        } catch (IOException | URISyntaxException e) {
            UnsatisfiedLinkError clear = new UnsatisfiedLinkError("cannot unpack " + RESOURCE + ": " + e);
            clear.initCause(e);
            throw clear;
        }
    }
}
