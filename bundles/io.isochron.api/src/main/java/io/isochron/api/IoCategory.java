package io.isochron.api;

/**
 * The shared I/O resource a vCPU is expected to use most while it runs next.
 *
 * <p>{@link #NONE} means CPU-only work; it never conflicts with anything. The other categories are
 * shared components of capacity 100 %, one per category.
 */
public enum IoCategory {
    GPU,
    RAM,
    CACHE,
    ETHERNET,
    /** Fieldbus (EtherCAT, PROFINET, CAN ...). */
    BUS,
    STORAGE,
    NONE;

    /** The six shared components, in declaration order; {@link #NONE} excluded. */
    public static final int COMPONENT_COUNT = 6;

    private static final IoCategory[] COMPONENTS = {GPU, RAM, CACHE, ETHERNET, BUS, STORAGE};

    /** @return the component of index {@code i} in [0, {@value #COMPONENT_COUNT}) */
    public static IoCategory component(int i) {
        return COMPONENTS[i];
    }

    /** @return true for the six shared components, false for {@link #NONE} */
    public boolean isComponent() {
        return this != NONE;
    }

    /**
     * Parses a category name case-insensitively.
     *
     * @throws IllegalArgumentException naming the bad value and the allowed ones
     */
    public static IoCategory parse(String name) {
        if (name != null) {
            for (IoCategory c : values()) {
                if (c.name().equalsIgnoreCase(name.trim())) {
                    return c;
                }
            }
        }
        throw new IllegalArgumentException("unknown category '" + name
                + "' (allowed: GPU, RAM, CACHE, ETHERNET, BUS, STORAGE, NONE)");
    }
}
