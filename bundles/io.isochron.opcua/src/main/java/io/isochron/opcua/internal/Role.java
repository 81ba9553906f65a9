package io.isochron.opcua.internal;

import java.util.Locale;

/** What an authenticated OPC UA user may do. Anonymous sessions get {@link #VIEWER} rights. */
enum Role {
    /** Browse and read. */
    VIEWER,
    /** Also call SwitchPolicy. */
    OPERATOR;

    String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    static Role parse(String name) {
        for (Role r : values()) {
            if (r.configName().equals(name)) {
                return r;
            }
        }
        throw new IllegalArgumentException("role '" + name + "' is not one of: viewer, operator");
    }
}
