package io.isochron.bridge.kvm.host;

import java.io.File;
import java.net.URISyntaxException;
import java.net.URL;

/**
 * The JNI entry points of libisochron-native.so. Every call that fails in the kernel throws a
 * {@link NativeException} made from errno; none returns an error code.
 */
final class NativeCalls {
    static final String LIBRARY = "isochron-native";
    /** Where the build puts the library, relative to the class output (and inside the bundle). */
    static final String RESOURCE = "/native/linux-x86_64/lib" + LIBRARY + ".so";

    static {
        load();
    }

    private NativeCalls() {
    }

    /**
     * Inside OSGi the framework resolves the name through Bundle-NativeCode. Plain JVMs (unit tests,
     * the offline tools) have no such path, so the library is taken from the class output next to
     * this class.
     */
    private static void load() {
        try {
            System.loadLibrary(LIBRARY);
        } catch (UnsatisfiedLinkError notOnLibraryPath) {
            URL url = NativeCalls.class.getResource(RESOURCE);
            if (url == null || !"file".equals(url.getProtocol())) {
                UnsatisfiedLinkError e = new UnsatisfiedLinkError(
                        "lib" + LIBRARY + ".so is neither on the library path nor a file at " + RESOURCE
                                + " (found: " + url + ")");
                e.addSuppressed(notOnLibraryPath);
                throw e;
            }
            try {
                System.load(new File(url.toURI()).getAbsolutePath());
            } catch (URISyntaxException badUrl) {
                throw new IllegalStateException(badUrl);
            }
        }
    }

    /** Calling it runs the static initialiser, which loads the library. */
    static void ensureLoaded() {
    }

    static native int gettid();

    static native long monotonicNanos();

    /** {@code mask} is the kernel's cpumask layout: bit n of word n/64 is CPU n. */
    static native void setAffinity(int tid, long[] mask) throws NativeException;

    static native long[] getAffinity(int tid) throws NativeException;

    static native void setAttributes(int tid, int policy, long flags, int nice, int priority,
            long runtimeNanos, long deadlineNanos, long periodNanos) throws NativeException;

    /** Returns {policy, flags, nice, priority, runtime, deadline, period}. */
    static native long[] getAttributes(int tid) throws NativeException;
}
