package io.isochron.bridge.kvm.qmp;

import java.io.IOException;
import java.util.Optional;

/** A QMP command did not produce a result: QEMU refused it, did not answer in time, or went away. */
public class QmpException extends IOException {
    private static final long serialVersionUID = 1L;

    public enum Reason {
        /** QEMU answered {@code {"error": ...}}; {@link #errorClass()} has its class. */
        COMMAND_FAILED,
        /** No answer within the timeout; a late answer is dropped. */
        TIMEOUT,
        /** The socket could not be opened, or it closed (QEMU exited, or the client was closed). */
        DISCONNECTED,
        /** QEMU sent something that is not QMP as documented. */
        PROTOCOL,
        /** The waiting thread was interrupted (its interrupt flag is set again). */
        INTERRUPTED
    }

    private final Reason reason;
    private final String command;
    private final String errorClass;

    QmpException(Reason reason, String command, String message, String errorClass, Throwable cause) {
        super(command + ": " + message, cause);
        this.reason = reason;
        this.command = command;
        this.errorClass = errorClass;
    }

    QmpException(Reason reason, String command, String message) {
        this(reason, command, message, null, null);
    }

    public Reason reason() {
        return reason;
    }

    /** The QMP command (or "connect") that failed. */
    public String command() {
        return command;
    }

    /** QEMU's error class, e.g. {@code CommandNotFound} or {@code GenericError}, for COMMAND_FAILED. */
    public Optional<String> errorClass() {
        return Optional.ofNullable(errorClass);
    }
}
