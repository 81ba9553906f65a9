package io.isochron.bridge.kvm.host;

/** Linux scheduling policies with their numbers from {@code include/uapi/linux/sched.h}. */
public enum SchedPolicy {
    OTHER(0),
    FIFO(1),
    RR(2),
    BATCH(3),
    IDLE(5),
    DEADLINE(6),
    /** sched_ext (Linux 6.12+): a BPF scheduler decides; falls back to OTHER when none is loaded. */
    EXT(7);

    private final int code;

    SchedPolicy(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The policies taking a real-time priority (1..99) rather than a nice value. */
    public boolean isRealTime() {
        return this == FIFO || this == RR;
    }

    static SchedPolicy of(int code) {
        for (SchedPolicy p : values()) {
            if (p.code == code) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown scheduling policy " + code);
    }
}
