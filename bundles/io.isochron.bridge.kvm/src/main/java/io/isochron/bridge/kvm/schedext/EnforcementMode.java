package io.isochron.bridge.kvm.schedext;

import java.util.Locale;

/** Configuration {@code enforcement}: how the KVM bridge puts the scheduler's decisions in force. */
public enum EnforcementMode {
    /** The sched_ext scheduler where the kernel and the service offer it, otherwise affinity. */
    AUTO,
    /** The sched_ext scheduler; when it cannot be, affinity and a Health problem. */
    SCHED_EXT,
    /** Pinning vCPU threads from user space only. */
    AFFINITY;

    /** @throws IllegalArgumentException naming the bad value and the allowed ones */
    public static EnforcementMode parse(String value) {
        String v = value == null ? "" : value.strip().toLowerCase(Locale.ROOT);
        for (EnforcementMode m : values()) {
            if (m.configName().equals(v)) {
                return m;
            }
        }
        throw new IllegalArgumentException("property 'enforcement' = '" + value
                + "' is not one of auto, sched_ext, affinity");
    }

    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
