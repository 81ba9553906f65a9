package io.isochron.hil;

import static org.assertj.core.api.Assertions.assertThat;

import io.isochron.bridge.kvm.qmp.QmpClient;
import io.isochron.bridge.kvm.qmp.QmpEvent;
import io.isochron.bridge.kvm.qmp.QmpException;
import io.isochron.bridge.kvm.qmp.QmpListener;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The firmware booted under QEMU by {@code image/firmware/boot.sh}, as an outside system sees it:
 * its console, a forwarded OPC UA port and a plug.
 */
final class Firmware implements AutoCloseable {
    /** build.sh's OUTDIR; set by the firmware profile (mvn -Pfirmware), absent otherwise. */
    static final String DIRECTORY = System.getProperty("isochron.firmware");
    private static final Path BOOT = Path.of(System.getProperty("isochron.image", "../image/target/isochron"))
            .resolve("../../firmware/boot.sh").normalize();

    private static final QmpListener IGNORE_EVENTS = new QmpListener() {
        @Override
        public void onEvent(QmpEvent event) {}

        @Override
        public void onDisconnected(String reason) {}
    };

    final Path console;
    private final Path bootLog;
    private final Path qmp;
    private final Process process;

    private Firmware(Path console, Path bootLog, Path qmp, Process process) {
        this.console = console;
        this.bootLog = bootLog;
        this.qmp = qmp;
        this.process = process;
    }

    /**
     * Boots with the state volume {@code state} ("none" for none) and OPC UA forwarded to {@code opcUaPort}.
     *
     * @param append extra kernel command line, may be empty
     * @param bootOptions further options of boot.sh, e.g. {@code --accel tcg-single}
     */
    static Firmware boot(Path dir, String name, String state, int opcUaPort, String append, String... bootOptions)
            throws IOException {
        Path console = dir.resolve(name + "-console.log");
        Path qmp = dir.resolve(name + ".qmp");
        List<String> command = new ArrayList<>(List.of(BOOT.toString(), "--firmware", DIRECTORY, "--state", state,
                "--opcua-port", String.valueOf(opcUaPort), "--console", "file:" + console, "--qmp", qmp.toString()));
        if (!append.isEmpty()) {
            command.addAll(List.of("--append", append));
        }
        command.addAll(List.of(bootOptions));
        Path bootLog = dir.resolve(name + "-boot.log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(bootLog.toFile()).start();
        return new Firmware(console, bootLog, qmp, p);
    }

    /**
     * A state volume as an integrator provisions one: an ext4 image labelled isochron-state made
     * from the files under {@code seed}.
     */
    static Path stateVolume(Path seed, Path image) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("sh", "-c", "truncate -s 256M \"$1\" && mkfs.ext4 -q -L isochron-state -d \"$2\" \"$1\"",
                "sh", image.toString(), seed.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("mkfs.ext4: %s", out).isZero();
        return image;
    }

    /**
     * A file of a state volume whose box is off, read with debugfs (e2fsprogs) without mounting it.
     *
     * @param path inside the volume, from its root
     */
    static String readFromVolume(Path image, String path) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("debugfs", "-R", "cat " + path, image.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("debugfs cat %s", path).isZero();
        return out;
    }

    String console() {
        return read(console);
    }

    /** The power button (boot.sh presses it on SIGTERM): the box shuts down cleanly and QEMU ends. */
    void powerOff(long seconds) throws InterruptedException {
        process.destroy();
        assertThat(process.waitFor(seconds, TimeUnit.SECONDS)).as("QEMU ended within %d s", seconds).isTrue();
        assertThat(console()).contains("isochron-firmware: halted cleanly");
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits for the condition, failing with the console's tail. */
    void await(BooleanSupplier condition, long seconds, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline || !process.isAlive()) {
                String c = console();
                throw new AssertionError("firmware: " + (process.isAlive() ? "timed out after " + seconds + " s" : "QEMU ended")
                        + " waiting for " + what + "; boot.sh said:\n" + read(bootLog) + "console (last 6000 characters):\n"
                        + c.substring(Math.max(0, c.length() - 6000)));
            }
            Thread.sleep(250);
        }
    }

    /** Until the supervisor says the appliance is up (READY=1), counting from the boot. */
    void awaitReady(int times, long seconds) throws InterruptedException {
        await(() -> console().split("is ready after", -1).length > times, seconds, "the appliance ready (" + times + ")");
    }

    /** Power cut: QEMU quits at once, nothing in the guest's memory reaches its disk. */
    void pullPlug() throws IOException, InterruptedException {
        if (!process.isAlive()) {
            return;
        }
        try (QmpClient client = QmpClient.connect(qmp, Duration.ofSeconds(10), IGNORE_EVENTS)) {
            client.execute("quit");
        } catch (QmpException goneAlready) {
            // QEMU ended before or while answering: what was asked for
        }
        // boot.sh ends when QEMU has; QEMU must be gone before its disk is used again (image lock).
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            Path pidFile = Path.of(qmp + ".pid");
            if (Files.exists(pidFile)) {
                ProcessHandle.of(Long.parseLong(Files.readString(pidFile).strip())).ifPresent(ProcessHandle::destroyForcibly);
            }
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        pullPlug();
    }
}
