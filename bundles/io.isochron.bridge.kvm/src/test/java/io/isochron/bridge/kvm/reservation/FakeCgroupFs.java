package io.isochron.bridge.kvm.reservation;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A cgroup tree of plain files: a write replaces the file, rmdir takes the control files with it
 * (as the kernel does), and every write is recorded in order.
 */
class FakeCgroupFs extends CgroupFs {
    final List<String> writes = new ArrayList<>();
    private final Path base;

    FakeCgroupFs(Path base) {
        this.base = base;
    }

    @Override
    public void write(Path file, String value) throws CgroupException {
        writes.add(base.relativize(file) + "=" + value);
        super.write(file, value);
        try {
            Files.writeString(file, value); // a real cgroup file is not appended to
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The kernel gives a new cgroup its (empty) membership files. */
    @Override
    public void mkdir(Path dir) throws CgroupException {
        super.mkdir(dir);
        try {
            Files.writeString(dir.resolve("cgroup.threads"), "");
            Files.writeString(dir.resolve("tasks"), "");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void rmdir(Path dir) throws CgroupException {
        writes.add("rmdir " + base.relativize(dir));
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new CgroupException("cannot remove " + dir + ": " + e);
        }
    }

    static void put(Path file, String value) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, value + "\n");
    }
}
