package io.isochron.channel.transport;

import com.fazecast.jSerialComm.SerialPort;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Puts jSerialComm's native library where the host may execute it. By default jSerialComm unpacks
 * it into {@code java.io.tmpdir}, which fails on hosts that mount /tmp noexec. If the system property
 * {@value #PROPERTY} names a directory that already holds the library, jSerialComm loads it from
 * there instead; so this unpacks the library into a configured directory and sets the property —
 * before jSerialComm's {@code SerialPort} class is initialised (its static initialiser loads the
 * library once per JVM).
 */
public final class SerialNative {
    /** jSerialComm's own property: a directory searched for the native library before unpacking to the temp dir. */
    public static final String PROPERTY = "jSerialComm.library.path";
    private static final String LIBRARY = "libjSerialComm.so";

    private SerialNative() {
    }

    /**
     * Unpacks the library for this machine into {@code dir} (unless an identical copy is there) and
     * points jSerialComm at it. Idempotent.
     *
     * @throws IOException naming the directory if it cannot be written or the platform is not supported
     */
    public static synchronized Path prepare(Path dir) throws IOException {
        String set = System.getProperty(PROPERTY);
        if (set != null && !set.isEmpty() && !Path.of(set).equals(dir)) {
            throw new IOException(PROPERTY + " is already " + set + "; cannot switch it to " + dir
                    + " (jSerialComm reads it once per JVM)");
        }
        String resource = "/Linux/" + arch() + "/" + LIBRARY;
        // A class literal does not run SerialPort's static initialiser, so nothing is loaded yet.
        byte[] lib;
        try (InputStream in = SerialPort.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("jSerialComm has no native library " + resource + " for this platform");
            }
            lib = in.readAllBytes();
        }
        Files.createDirectories(dir);
        Path target = dir.resolve(LIBRARY);
        if (!Files.isRegularFile(target) || Files.size(target) != lib.length
                || !java.util.Arrays.equals(Files.readAllBytes(target), lib)) {
            Path tmp = Files.createTempFile(dir, LIBRARY, ".part");
            try {
                Files.write(tmp, lib);
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
        System.setProperty(PROPERTY, dir.toString());
        return target;
    }

    private static String arch() throws IOException {
        String os = System.getProperty("os.name", "");
        String arch = System.getProperty("os.arch", "");
        if (!os.toLowerCase(java.util.Locale.ROOT).contains("linux")) {
            throw new IOException("serial channels are supported on Linux only, not " + os);
        }
        switch (arch) {
            case "amd64":
            case "x86_64":
                return "x86_64";
            case "aarch64":
                return "armv8_64";
            default:
                throw new IOException("no jSerialComm library mapping for CPU architecture " + arch
                        + " (allowed: amd64, aarch64)");
        }
    }
}
