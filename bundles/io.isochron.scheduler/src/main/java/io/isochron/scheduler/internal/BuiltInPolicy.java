package io.isochron.scheduler.internal;

import io.isochron.api.scheduling.Placement;
import io.isochron.api.scheduling.SchedulingPolicy;
import io.isochron.scheduler.core.Policies;

/** A built-in policy published as a whiteboard service under its name. */
abstract class BuiltInPolicy implements SchedulingPolicy {
    private final String name;

    BuiltInPolicy(String name) {
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Placement configure(double overlapPercent) {
        return Policies.create(name, overlapPercent);
    }
}
