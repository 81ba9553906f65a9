package io.isochron.bridge.kvm.reservation;

/** A cgroup file operation the kernel refused; the message is one line naming file and value. */
public class CgroupException extends Exception {
    private static final long serialVersionUID = 1L;

    public CgroupException(String message) {
        super(message);
    }
}
