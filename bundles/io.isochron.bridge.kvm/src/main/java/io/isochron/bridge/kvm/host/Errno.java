package io.isochron.bridge.kvm.host;

/** The errno values the scheduler calls are documented to return, and what they mean here. */
public enum Errno {
    /** Not allowed: no CAP_SYS_NICE, or SCHED_DEADLINE asked for a thread whose affinity is restricted. */
    EPERM(1),
    /** No thread with that id (it exited, or never existed). */
    ESRCH(3),
    /** The native side could not allocate its buffer. */
    ENOMEM(12),
    /** Busy: a SCHED_DEADLINE thread's affinity cannot shrink below its root domain, or admission failed. */
    EBUSY(16),
    /** Invalid parameters, e.g. runtime &gt; deadline &gt; period violated or an unknown policy. */
    EINVAL(22),
    /** Any errno not listed above; {@link NativeException#errno()} has the number. */
    OTHER(-1);

    private final int number;

    Errno(int number) {
        this.number = number;
    }

    public int number() {
        return number;
    }

    static Errno of(int number) {
        for (Errno e : values()) {
            if (e.number == number) {
                return e;
            }
        }
        return OTHER;
    }
}
