package io.isochron.bridge.kvm.host;

import java.util.EnumSet;
import java.util.Set;

/** {@code sched_attr.sched_flags} bits (include/uapi/linux/sched.h) that a caller may ask for. */
public enum SchedFlag {
    /** Children of the thread start as SCHED_OTHER: a forked helper must not inherit a reservation. */
    RESET_ON_FORK(0x01),
    /** SCHED_DEADLINE only (GRUB): the thread may use bandwidth other reservations leave idle. */
    RECLAIM(0x02),
    /** SCHED_DEADLINE only: the thread gets SIGXCPU when it overruns its runtime. */
    DL_OVERRUN(0x04);

    private final long bit;

    SchedFlag(long bit) {
        this.bit = bit;
    }

    public long bit() {
        return bit;
    }

    static long toBits(Set<SchedFlag> flags) {
        long bits = 0;
        for (SchedFlag f : flags) {
            bits |= f.bit;
        }
        return bits;
    }

    /**
     * The flags among {@code bits}. The kernel reports only flags that were set through
     * sched_setattr, so bits this enum lacks (KEEP_*, UTIL_CLAMP_*) appear only if another program
     * used them; they describe nothing this bridge controls.
     */
    static Set<SchedFlag> fromBits(long bits) {
        Set<SchedFlag> flags = EnumSet.noneOf(SchedFlag.class);
        for (SchedFlag f : values()) {
            if ((bits & f.bit) != 0) {
                flags.add(f);
            }
        }
        return flags;
    }
}
