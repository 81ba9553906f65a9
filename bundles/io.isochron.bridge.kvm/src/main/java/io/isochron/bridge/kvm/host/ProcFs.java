package io.isochron.bridge.kvm.host;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Per-thread facts from /proc. Threads come and go while they are listed and read (a vCPU thread
 * ends with its VM, a worker thread with its job): a task that is gone reads as empty, never as an
 * exception. Any I/O error on a task's file means the task is no longer observable, which is the
 * same fact to the caller.
 */
public final class ProcFs {
    private static final Path PROC = Path.of("/proc");

    /** The process ids currently in /proc, ascending. */
    public List<Integer> processes() {
        return numericEntries(PROC);
    }

    /** The thread ids of process {@code pid}, ascending; empty if the process is gone. */
    public List<Integer> threads(int pid) {
        return numericEntries(PROC.resolve(Integer.toString(pid)).resolve("task"));
    }

    /** The thread's name (comm, at most 15 characters). */
    public Optional<String> comm(int pid, int tid) {
        return read(task(pid, tid).resolve("comm")).map(String::strip);
    }

    public Optional<SchedStat> schedStat(int pid, int tid) {
        return read(task(pid, tid).resolve("schedstat")).map(text -> {
            String[] f = text.strip().split("\\s+");
            if (f.length < 3) {
                throw new IllegalStateException("unexpected schedstat format: '" + text + "'");
            }
            return new SchedStat(Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]));
        });
    }

    /** The CPUs the thread may run on, from {@code Cpus_allowed_list} in its status. */
    public Optional<BitSet> cpusAllowed(int pid, int tid) {
        return statusField(task(pid, tid), "Cpus_allowed_list").map(CpuList::parse);
    }

    /**
     * The process (thread group) that thread {@code tid} belongs to. /proc/&lt;tid&gt; exists for
     * every thread even though only process ids are listed there.
     */
    public OptionalInt threadGroup(int tid) {
        return statusField(PROC.resolve(Integer.toString(tid)), "Tgid")
                .map(v -> OptionalInt.of(Integer.parseInt(v)))
                .orElse(OptionalInt.empty());
    }

    /**
     * The thread's scheduling policy number (field 41 of its stat), read without a system call so a
     * scan of every thread stays cheap. The command name in field 2 may hold spaces and parentheses,
     * so fields are counted after its last ')'.
     */
    public OptionalInt policy(int pid, int tid) {
        Optional<String> stat = read(task(pid, tid).resolve("stat"));
        if (stat.isEmpty()) {
            return OptionalInt.empty();
        }
        String text = stat.get();
        String[] f = text.substring(text.lastIndexOf(')') + 1).strip().split("\\s+");
        return f.length > 38 ? OptionalInt.of(Integer.parseInt(f[38])) : OptionalInt.empty();
    }

    private static Path task(int pid, int tid) {
        return PROC.resolve(Integer.toString(pid)).resolve("task").resolve(Integer.toString(tid));
    }

    private static Optional<String> statusField(Path dir, String key) {
        return read(dir.resolve("status")).flatMap(status -> status.lines()
                .filter(line -> line.startsWith(key + ":"))
                .map(line -> line.substring(key.length() + 1).strip())
                .findFirst());
    }

    /**
     * One large read: Files.readString reads a file of reported size 0 (all of /proc) as one byte
     * and then the rest, and some proc handlers answer a read at a non-zero offset with EOF.
     */
    private static Optional<String> read(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return Optional.of(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException gone) {
            return Optional.empty();
        }
    }

    private static List<Integer> numericEntries(Path dir) {
        List<Integer> ids = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (!name.isEmpty() && name.chars().allMatch(Character::isDigit)) {
                    ids.add(Integer.parseInt(name));
                }
            }
        } catch (IOException | DirectoryIteratorException gone) {
            return List.of();
        }
        ids.sort(null);
        return ids;
    }
}
