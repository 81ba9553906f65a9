package io.isochron.hil;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real QEMU guest booted by image/guest/boot.sh (TCG here; the script probes KVM): the test
 * kernel and initramfs with the guest agent and one load, QMP on a socket in the appliance's watched
 * directory, console to a log file.
 */
final class Guest implements AutoCloseable {
    static final Path GUEST_DIR = Path.of("..", "image", "guest").toAbsolutePath().normalize();

    final String name;
    final Process process;
    final Path console;

    private Guest(String name, Process process, Path console) {
        this.name = name;
        this.process = process;
        this.console = console;
    }

    /** Builds the guest kernel + initramfs (reproducible, cached; a few seconds when warm). */
    static Path build() throws IOException, InterruptedException {
        Path out = GUEST_DIR.resolve("target/guest");
        Process p = new ProcessBuilder(GUEST_DIR.resolve("build.sh").toString(), out.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.INHERIT).start();
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException("image/guest/build.sh failed");
        }
        return out;
    }

    static Guest boot(Path image, Path dir, String name, int vmId, String load) throws IOException {
        Path console = dir.resolve(name + ".console.log");
        List<String> cmd = new ArrayList<>(List.of(GUEST_DIR.resolve("boot.sh").toString(), "--image", image.toString(),
                "--name", name, "--vm", Integer.toString(vmId), "--load", load, "--smp", "1",
                "--qmp", dir.resolve("vms").resolve(name + ".qmp").toString(), "--console", "file:" + console,
                "--disk", dir.resolve(name + ".disk").toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".qemu.log").toFile()).start();
        return new Guest(name, p, console);
    }

    /** Thread ids of the vCPU threads ("CPU n/TCG" or "CPU n/KVM" with debug-threads=on). */
    List<Integer> vcpuThreads() throws IOException {
        List<Integer> tids = new ArrayList<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(process.pid()), "task"))) {
            for (Path t : tasks.toList()) {
                try {
                    if (Files.readString(t.resolve("comm")).startsWith("CPU ")) {
                        tids.add(Integer.parseInt(t.getFileName().toString()));
                    }
                } catch (IOException gone) {
                    // thread ended while listing
                }
            }
        }
        return tids;
    }

    /** Cpus_allowed_list of one of this guest's threads, as the kernel reports it. */
    BitSet affinity(int tid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "task",
                Integer.toString(tid), "status"))) {
            if (line.startsWith("Cpus_allowed_list:")) {
                return parseCpuList(line.substring(line.indexOf(':') + 1).strip());
            }
        }
        throw new IOException("no Cpus_allowed_list for thread " + tid);
    }

    static BitSet parseCpuList(String list) {
        BitSet b = new BitSet();
        for (String part : list.split(",")) {
            String[] r = part.split("-");
            b.set(Integer.parseInt(r[0]), Integer.parseInt(r[r.length - 1]) + 1);
        }
        return b;
    }

    String consoleLog() {
        try {
            return Files.exists(console) ? Files.readString(console) : "(no console output)";
        } catch (IOException e) {
            return "(console unreadable: " + e.getMessage() + ")";
        }
    }

    /** Kills QEMU as a crash would (SIGKILL). */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                kill();
            }
        }
    }
}
