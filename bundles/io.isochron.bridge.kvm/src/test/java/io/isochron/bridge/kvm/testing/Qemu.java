package io.isochron.bridge.kvm.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.abort;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real QEMU (Debian's qemu-system-x86) without a guest: paused by -S, with a QMP socket, two
 * named vCPU threads, an iothread and a pty-backed serial port. KVM when the host has it, else TCG.
 *
 * <p>Its firmware is a generated 64 KiB image whose reset vector jumps to itself, so that vCPU 0,
 * once continued, burns its CPU deterministically (what a real BIOS does without a boot device
 * varies: SeaBIOS halts) and vCPU 1 waits for a start-up IPI that never comes.
 */
public final class Qemu implements AutoCloseable {
    public static final Path BINARY = Path.of("/usr/bin/qemu-system-x86_64");
    private static final Path APT_GET = Path.of("/usr/bin/apt-get");

    private final Path dir;
    private final Process process;

    private Qemu(Path dir, Process process) {
        this.dir = dir;
        this.process = process;
    }

    /**
     * Installs qemu-system-x86 when it is missing (as .ci/run does); skips the calling test only
     * where there is no apt to install it with.
     */
    public static synchronized void ensureInstalled() throws IOException, InterruptedException {
        if (Files.isExecutable(BINARY)) {
            return;
        }
        if (!Files.isExecutable(APT_GET)) {
            abort(BINARY + " is missing and there is no apt-get to install qemu-system-x86");
        }
        Path log = Files.createTempFile("apt-qemu", ".log");
        ProcessBuilder update = new ProcessBuilder(APT_GET.toString(), "update", "-qq");
        ProcessBuilder install = new ProcessBuilder(APT_GET.toString(), "install", "-y", "-qq",
                "--no-install-recommends", "qemu-system-x86");
        for (ProcessBuilder step : List.of(update, install)) {
            step.environment().put("DEBIAN_FRONTEND", "noninteractive");
            int exit = step.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start().waitFor();
            assertThat(exit).as("%s failed:%n%s", step.command(), Files.readString(log)).isZero();
        }
        assertThat(BINARY).as("installed by qemu-system-x86").isExecutable();
    }

    /** Starts QEMU in {@code dir} with its QMP socket at {@link #qmpSocket()}. */
    public static Qemu start(Path dir) throws IOException, InterruptedException {
        ensureInstalled();
        List<String> command = new ArrayList<>(List.of(BINARY.toString(),
                "-machine", "accel=kvm:tcg", "-nographic", "-nodefaults", "-m", "64", "-smp", "2",
                "-name", "t,debug-threads=on", "-bios", spinningFirmware(dir).toString(),
                "-qmp", "unix:" + dir.resolve("qmp.sock") + ",server=on,wait=off",
                "-chardev", "pty,id=pv0", "-serial", "chardev:pv0",
                "-object", "iothread,id=io0",
                "-S"));
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("qemu.log").toFile())
                .start();
        return new Qemu(dir, process);
    }

    /** x86 starts at the image's last 16 bytes; there {@code jmp $} (EB FE), hlt everywhere else. */
    private static Path spinningFirmware(Path dir) throws IOException {
        byte[] image = new byte[64 * 1024];
        Arrays.fill(image, (byte) 0xF4);
        image[image.length - 16] = (byte) 0xEB;
        image[image.length - 15] = (byte) 0xFE;
        return Files.write(dir.resolve("spin.bin"), image);
    }

    public Path qmpSocket() {
        return dir.resolve("qmp.sock");
    }

    public int pid() {
        return (int) process.pid();
    }

    public String log() throws IOException {
        return Files.readString(dir.resolve("qemu.log"));
    }

    /** SIGKILL: QEMU gets no chance to say goodbye on QMP. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** Sends a signal by name (e.g. STOP, CONT) to the QEMU process. */
    public void signal(String name) throws IOException, InterruptedException {
        int exit = new ProcessBuilder("kill", "-" + name, Integer.toString(pid())).inheritIO().start().waitFor();
        assertThat(exit).as("kill -%s %d", name, pid()).isZero();
    }

    public boolean waitForExit(long seconds) throws InterruptedException {
        return process.waitFor(seconds, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            try {
                kill();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
