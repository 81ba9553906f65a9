package io.isochron.bridge.kvm.reservation;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The few file operations cpuset control needs. Every write is one {@code write} of the whole
 * value, as the cgroup files expect; a refusal by the kernel (EINVAL, EBUSY, ...) arrives as an
 * IOException and becomes one line naming the file and the value.
 */
public class CgroupFs {
    public String read(Path file) throws CgroupException {
        try (InputStream in = Files.newInputStream(file)) {
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII).strip();
        } catch (IOException e) {
            throw new CgroupException("cannot read " + file + ": " + reason(e));
        }
    }

    public boolean exists(Path file) {
        return Files.exists(file);
    }

    public void write(Path file, String value) throws CgroupException {
        try {
            Files.write(file, value.getBytes(StandardCharsets.US_ASCII), StandardOpenOption.WRITE,
                    StandardOpenOption.CREATE);
        } catch (IOException e) {
            throw new CgroupException("writing '" + value + "' to " + file + " failed: " + reason(e));
        }
    }

    public void mkdir(Path dir) throws CgroupException {
        try {
            Files.createDirectory(dir);
        } catch (IOException e) {
            throw new CgroupException("cannot create cgroup " + dir + ": " + reason(e));
        }
    }

    /** Removes a cgroup; its control files go with it (rmdir, never unlink). */
    public void rmdir(Path dir) throws CgroupException {
        try {
            Files.delete(dir);
        } catch (IOException e) {
            throw new CgroupException("cannot remove cgroup " + dir + ": " + reason(e));
        }
    }

    /** The kernel's reason is in the message of a FileSystemException, the rest is the path again. */
    private static String reason(IOException e) {
        if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        // these carry no reason of their own; say what errno they stand for
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "Permission denied";
        }
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "No such file or directory";
        }
        if (e instanceof java.nio.file.FileAlreadyExistsException) {
            return "File exists";
        }
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage());
    }
}
