package io.isochron.bridge.kvm.host;

import java.util.Objects;

/**
 * A system call failed: which call, with which arguments, and the errno the kernel returned.
 * Thrown by the native library; {@link #error()} gives the errno as a type to switch on.
 */
public class NativeException extends Exception {
    private static final long serialVersionUID = 1L;

    private final int errno;
    private final String description;
    private final String call;
    private final String arguments;

    public NativeException(int errno, String description, String call, String arguments) {
        super(call + "(" + arguments + ") failed: " + name(errno) + " (" + description + ")");
        this.errno = errno;
        this.description = Objects.requireNonNull(description);
        this.call = Objects.requireNonNull(call);
        this.arguments = Objects.requireNonNull(arguments);
    }

    /** Called from the native library when a system call fails. */
    static NativeException fromErrno(int errno, String description, String call, String arguments) {
        return new NativeException(errno, description, call, arguments);
    }

    private static String name(int errno) {
        Errno e = Errno.of(errno);
        return e == Errno.OTHER ? "errno " + errno : e.name();
    }

    public int errno() {
        return errno;
    }

    public Errno error() {
        return Errno.of(errno);
    }

    /** The C library's text for the errno (strerror). */
    public String description() {
        return description;
    }

    /** The failed system call, e.g. {@code sched_setattr}. */
    public String call() {
        return call;
    }

    /** The call's arguments as the native side saw them. */
    public String arguments() {
        return arguments;
    }
}
