package io.isochron.bridge.kvm.host;

import static org.junit.jupiter.api.Assumptions.abort;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Facts about the machine the tests run on. */
final class TestHost {
    private TestHost() {
    }

    /** A thread id above pid_max, which no thread can have. */
    static int absentThreadId() throws IOException {
        // One read: /proc/sys answers a read at a non-zero offset with EOF (Files.readString does that).
        try (InputStream in = Files.newInputStream(Path.of("/proc/sys/kernel/pid_max"))) {
            return Integer.parseInt(new String(in.readAllBytes(), StandardCharsets.US_ASCII).strip()) + 1;
        }
    }

    static boolean isRoot() throws IOException {
        // "Uid:\treal\teffective\tsaved\tfs": the effective uid decides.
        return Files.readAllLines(Path.of("/proc/self/status")).stream()
                .filter(l -> l.startsWith("Uid:"))
                .map(l -> l.split("\\s+")[2])
                .anyMatch("0"::equals);
    }

    /**
     * Real-time policies need CAP_SYS_NICE. As root every call must work; only a run by another
     * user may be skipped when the kernel says EPERM.
     */
    static void setAttributes(Kernel kernel, int tid, SchedAttributes attributes) throws Exception {
        try {
            kernel.setAttributes(tid, attributes);
        } catch (NativeException e) {
            if (e.error() == Errno.EPERM && !isRoot()) {
                abort("not root and the kernel refused " + attributes.policy() + ": " + e.getMessage());
            }
            throw e;
        }
    }
}
