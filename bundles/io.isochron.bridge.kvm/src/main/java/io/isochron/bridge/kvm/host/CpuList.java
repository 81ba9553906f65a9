package io.isochron.bridge.kvm.host;

import java.util.BitSet;

/** The kernel's CPU list format ({@code 0-3,8,10-11}), as in /proc status and sysfs. */
public final class CpuList {
    private CpuList() {
    }

    public static BitSet parse(String list) {
        BitSet cpus = new BitSet();
        String trimmed = list.strip();
        if (trimmed.isEmpty()) {
            return cpus;
        }
        for (String part : trimmed.split(",")) {
            int dash = part.indexOf('-');
            if (dash < 0) {
                cpus.set(Integer.parseInt(part));
            } else {
                int from = Integer.parseInt(part.substring(0, dash));
                int to = Integer.parseInt(part.substring(dash + 1));
                if (to < from) {
                    throw new IllegalArgumentException("descending CPU range '" + part + "' in '" + list + "'");
                }
                cpus.set(from, to + 1);
            }
        }
        return cpus;
    }
}
