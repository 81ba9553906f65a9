package io.isochron.hil;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The built image launched as the service manager would: a separate process, no console,
 * NOTIFY_SOCKET set, output to a log file; stopped with SIGTERM.
 */
final class Appliance implements AutoCloseable {
    static final Path IMAGE = Path.of(System.getProperty("isochron.image", "../image/target/isochron"));

    final Process process;
    final NotifySocket notify;
    final Path log;
    final long launchNanos;

    private Appliance(Process process, NotifySocket notify, Path log, long launchNanos) {
        this.process = process;
        this.notify = notify;
        this.log = log;
        this.launchNanos = launchNanos;
    }

    /**
     * Launches {@code isochron run --no-shell} with its state in {@code dir}/var.
     *
     * @param extraArgs more options of {@code run}, e.g. {@code --config DIR} or {@code --profile kvm}
     */
    static Appliance launch(Path dir, String... extraArgs) throws IOException {
        assertThat(IMAGE.resolve("bin/isochron")).as("built image (mvn package)").isExecutable();
        List<String> command = new ArrayList<>(List.of(IMAGE.resolve("bin/isochron").toString(), "run", "--no-shell",
                "--var", dir.resolve("var").toString()));
        command.addAll(List.of(extraArgs));
        Path log = dir.resolve("appliance.log");
        NotifySocket notify = new NotifySocket(dir.resolve("notify.sock"));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("NOTIFY_SOCKET", notify.path().toString());
        pb.environment().put("WATCHDOG_USEC", "1000000");
        long start = System.nanoTime();
        try {
            return new Appliance(pb.start(), notify, log, start);
        } catch (IOException e) {
            notify.close();
            throw e;
        }
    }

    /** Waits for READY=1 and returns the seconds from launch to it. */
    double awaitReady() throws Exception {
        NotifySocket.Message ready = notify.await("READY=1", 60, TimeUnit.SECONDS);
        assertThat(ready).as("READY=1 within 60 s; log:%n%s", output()).isNotNull();
        assertThat(ready.text()).contains("MAINPID=" + process.pid());
        return (ready.nanoTime() - launchNanos) / 1e9;
    }

    /** SIGTERM, as systemd stops it; returns the exit code. */
    int stop() throws InterruptedException {
        process.destroy();
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("stops within 30 s after SIGTERM").isTrue();
        return process.exitValue();
    }

    /** Polls {@code condition} every 50 ms; fails with the appliance's log after {@code seconds}. */
    void await(BooleanSupplier condition, long seconds, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + seconds + " s waiting for " + what + "; appliance log:\n"
                        + output());
            }
            Thread.sleep(50);
        }
    }

    /** Sends one line to the Gogo console (launched with --shell). */
    void shell(String command) throws IOException {
        process.getOutputStream().write((command + "\n").getBytes(StandardCharsets.UTF_8));
        process.getOutputStream().flush();
    }

    String output() {
        try {
            return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "(no output)";
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() throws Exception {
        try {
            if (process.isAlive()) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } finally {
            notify.close();
        }
    }
}
