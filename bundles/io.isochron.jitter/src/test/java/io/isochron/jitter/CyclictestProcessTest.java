package io.isochron.jitter;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CyclictestProcessTest {
    @TempDir
    Path dir;

    private static void await(java.util.function.BooleanSupplier condition, long millis) throws InterruptedException {
        long end = System.nanoTime() + millis * 1_000_000;
        while (!condition.getAsBoolean() && System.nanoTime() < end) {
            Thread.sleep(20);
        }
    }

    @Test
    void realCyclictestFeedsWindowsUntilClosed() throws Exception {
        Path binary = Cyclictest.ensureInstalled();
        CyclictestProcess p = new CyclictestProcess(binary.toString(), 500, 0, -1).start();
        try {
            LatencyWindow w = new LatencyWindow();
            await(() -> {
                p.drainInto(w);
                return w.samples() >= 500;
            }, 10_000);
            assertThat(w.samples()).isGreaterThanOrEqualTo(500);
            assertThat(p.problem()).isEmpty();
            assertThat(p.pid()).isPositive();
            long pid = p.pid();
            p.close();
            await(() -> ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true), 3_000);
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("child stopped").isFalse();
        } finally {
            p.close();
        }
    }

    @Test
    void restartsWhenItDiesAndSaysWhy() throws Exception {
        // A stand-in that prints two cycles like cyclictest -v and dies, every time it is started.
        Path script = dir.resolve("dying-cyclictest");
        Files.writeString(script, "#!/bin/sh\necho '       0:       0:       7'\necho '       0:       1:       9'\n"
                + "echo 'out of luck' >&2\nexit 3\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (CyclictestProcess p = new CyclictestProcess(script.toString(), 1000, 80, -1).start()) {
            await(() -> p.restarts() >= 2, 8_000);
            assertThat(p.restarts()).as("started again after the 1 s backoff").isGreaterThanOrEqualTo(2);
            assertThat(p.problem()).startsWith("cyclictest exited with code 3 (last output: out of luck); restarting in");
            LatencyWindow w = new LatencyWindow();
            p.drainInto(w);
            assertThat(w.samples()).as("two cycles per run").isGreaterThanOrEqualTo(4);
            assertThat(w.stats("host", 1000).maxMicros()).isEqualTo(9);
        }
    }

    @Test
    void missingExecutableIsAProblemNotAnException() throws Exception {
        try (CyclictestProcess p = new CyclictestProcess(dir.resolve("nope").toString(), 1000, 80, -1).start()) {
            await(() -> !p.problem().isEmpty(), 3_000);
            assertThat(p.problem()).startsWith("cyclictest could not be started").endsWith("restarting in 1 s");
        }
        assertThat(CyclictestProcess.locate(dir.resolve("nope").toString())).isEmpty();
        assertThat(CyclictestProcess.locate("sh")).isPresent();
    }
}
