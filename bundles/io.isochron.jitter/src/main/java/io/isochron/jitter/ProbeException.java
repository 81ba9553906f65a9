package io.isochron.jitter;

/**
 * The kernel refused what the probe asked for (scheduling policy, priority, CPU, memory): which call,
 * with which arguments, and the errno, as the native library reported it (it never crashes the JVM).
 */
public class ProbeException extends Exception {
    private static final long serialVersionUID = 1L;
    public static final int EPERM = 1;
    public static final int EINVAL = 22;

    private final int errno;
    private final String description;

    public ProbeException(int errno, String description, String call, String arguments) {
        super(call + "(" + arguments + ") failed: " + name(errno) + " (" + description + ")");
        this.errno = errno;
        this.description = description;
    }

    private static String name(int errno) {
        return switch (errno) {
            case EPERM -> "EPERM";
            case 12 -> "ENOMEM";
            case EINVAL -> "EINVAL";
            default -> "errno " + errno;
        };
    }

    public int errno() {
        return errno;
    }

    /** The C library's text for the errno (strerror). */
    public String description() {
        return description;
    }
}
