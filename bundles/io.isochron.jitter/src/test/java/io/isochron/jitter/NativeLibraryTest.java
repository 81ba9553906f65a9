package io.isochron.jitter;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command-line jar's case: the library is a resource inside a jar and must be copied out. */
class NativeLibraryTest {
    @TempDir
    Path dir;

    @Test
    void libraryInsideAJarIsCopiedToTheConfiguredDirectoryLoadedAndRemoved() throws Exception {
        Path classes = Path.of(NativeProbe.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path jar = dir.resolve("cli.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar)); Stream<Path> files = Files.walk(classes)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                out.putNextEntry(new JarEntry(classes.relativize(f).toString()));
                Files.copy(f, out);
                out.closeEntry();
            }
        }
        Path unpack = dir.resolve("native");
        String previous = System.getProperty(NativeLibrary.DIR_PROPERTY);
        System.setProperty(NativeLibrary.DIR_PROPERTY, unpack.toString());
        // A loader of its own: the class initialiser runs again and finds the library only in the jar.
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, ClassLoader.getPlatformClassLoader())) {
            Class<?> probe = Class.forName(NativeProbe.class.getName(), true, loader);
            assertThat(probe.getClassLoader()).isSameAs(loader);
            Method start = probe.getDeclaredMethod("start", long.class, int.class, int.class, int.class, int.class,
                    boolean.class, int[].class);
            start.setAccessible(true);
            long handle = (long) start.invoke(null, 1_000_000L, NativeProbe.SCHED_OTHER, 0, -1, 100, false, new int[3]);
            assertThat(handle).isNotZero();
            Method stop = probe.getDeclaredMethod("stop", long.class);
            stop.setAccessible(true);
            stop.invoke(null, handle);
        } finally {
            if (previous == null) {
                System.clearProperty(NativeLibrary.DIR_PROPERTY);
            } else {
                System.setProperty(NativeLibrary.DIR_PROPERTY, previous);
            }
        }
        try (Stream<Path> left = Files.list(unpack)) {
            assertThat(left).as("the copy is unlinked once loaded").isEmpty();
        }
    }
}
