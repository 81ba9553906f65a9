package io.isochron.scheduler.internal;

import io.isochron.api.scheduling.SchedulingPolicy;
import org.osgi.service.component.annotations.Component;

/** Publishes the built-in {@code interference-aware} policy. */
@Component(service = SchedulingPolicy.class, property = SchedulingPolicy.NAME_PROPERTY + "=interference-aware")
public class InterferenceAwarePolicy extends BuiltInPolicy {
    public InterferenceAwarePolicy() {
        super("interference-aware");
    }
}
