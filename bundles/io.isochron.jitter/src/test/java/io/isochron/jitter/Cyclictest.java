package io.isochron.jitter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.abort;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The real cyclictest for tests: installed from Debian's rt-tests when missing, as .ci/run does. */
final class Cyclictest {
    static final Path BINARY = Path.of("/usr/bin/cyclictest");
    private static final Path APT_GET = Path.of("/usr/bin/apt-get");

    private Cyclictest() {}

    static synchronized Path ensureInstalled() throws IOException, InterruptedException {
        if (Files.isExecutable(BINARY)) {
            return BINARY;
        }
        if (!Files.isExecutable(APT_GET)) {
            abort(BINARY + " is missing and there is no apt-get to install rt-tests");
        }
        Path log = Files.createTempFile("apt-rt-tests", ".log");
        for (List<String> step : List.of(List.of("update", "-qq"),
                List.of("install", "-y", "-qq", "--no-install-recommends", "rt-tests"))) {
            ProcessBuilder pb = new ProcessBuilder(APT_GET.toString());
            pb.command().addAll(step);
            pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
            int exit = pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start().waitFor();
            assertThat(exit).as("apt-get %s failed:%n%s", step, Files.readString(log)).isZero();
        }
        assertThat(BINARY).as("installed by rt-tests").isExecutable();
        return BINARY;
    }
}
