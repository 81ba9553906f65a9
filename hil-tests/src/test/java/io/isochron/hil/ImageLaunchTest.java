package io.isochron.hil;

import static org.assertj.core.api.Assertions.assertThat;

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
    @Test
    void startsSignalsReadinessAndStopsCleanly(@TempDir Path dir) throws Exception {
        try (Appliance appliance = Appliance.launch(dir)) {
            System.out.printf("appliance ready %.2f s after launch%n", appliance.awaitReady());
            assertThat(appliance.notify.await("WATCHDOG=1", 10, TimeUnit.SECONDS))
                    .as("watchdog petted while the scheduler decides").isNotNull();
            assertThat(appliance.process.isAlive()).isTrue();
            // 143 = terminated by SIGTERM after the JVM ran its shutdown (Felix stops every bundle).
            assertThat(appliance.stop()).isEqualTo(143);
            assertThat(appliance.notify.await("STOPPING=1", 5, TimeUnit.SECONDS)).as("STOPPING=1 on shutdown").isNotNull();
            assertThat(appliance.output()).contains("attached to hypervisor bridge 'sim' with 4 pCPUs")
                    .doesNotContain("Exception")
                    .doesNotContain("ERROR");
        }
    }
}
