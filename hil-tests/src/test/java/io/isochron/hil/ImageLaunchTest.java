package io.isochron.hil;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Launches the built image as the service manager would: a separate process, no console,
 * NOTIFY_SOCKET set. Waits for READY=1, checks that it keeps deciding (watchdog pets), then stops it
 * with SIGTERM and expects a clean shutdown.
 */
class ImageLaunchTest {
    private static final Path IMAGE = Path.of(System.getProperty("isochron.image", "../image/target/isochron"));

    @Test
    void startsSignalsReadinessAndStopsCleanly(@TempDir Path dir) throws Exception {
        assertThat(IMAGE.resolve("bin/isochron")).as("built image (mvn package)").isExecutable();
        Path log = dir.resolve("appliance.log");
        try (NotifySocket notify = new NotifySocket(dir.resolve("notify.sock"))) {
            ProcessBuilder pb = new ProcessBuilder(IMAGE.resolve("bin/isochron").toString(), "run", "--no-shell",
                    "--var", dir.resolve("var").toString())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            pb.environment().put("NOTIFY_SOCKET", notify.path().toString());
            pb.environment().put("WATCHDOG_USEC", "1000000");
            long start = System.nanoTime();
            Process appliance = pb.start();
            try {
                NotifySocket.Message ready = notify.await("READY=1", 60, TimeUnit.SECONDS);
                assertThat(ready).as("READY=1 within 60 s; log:%n%s", read(log)).isNotNull();
                assertThat(ready.text()).contains("MAINPID=" + appliance.pid());
                System.out.printf("appliance ready %.2f s after launch%n", (ready.nanoTime() - start) / 1e9);
                assertThat(notify.await("WATCHDOG=1", 10, TimeUnit.SECONDS))
                        .as("watchdog petted while the scheduler decides").isNotNull();
                assertThat(appliance.isAlive()).isTrue();
            } finally {
                appliance.destroy(); // SIGTERM, as systemd stops it
                assertThat(appliance.waitFor(30, TimeUnit.SECONDS)).as("stops within 30 s after SIGTERM").isTrue();
            }
            assertThat(notify.await("STOPPING=1", 5, TimeUnit.SECONDS)).as("STOPPING=1 on shutdown").isNotNull();
            // 143 = terminated by SIGTERM after the JVM ran its shutdown (Felix stops every bundle).
            assertThat(appliance.exitValue()).isEqualTo(143);
        }
        String output = read(log);
        assertThat(output).contains("attached to hypervisor bridge 'sim' with 4 pCPUs")
                .doesNotContain("Exception")
                .doesNotContain("ERROR")
                .doesNotContain("SEVERE");
    }

    private static String read(Path log) throws IOException {
        return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "(no output)";
    }
}
