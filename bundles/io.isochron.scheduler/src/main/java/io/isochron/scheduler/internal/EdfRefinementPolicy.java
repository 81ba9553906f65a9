package io.isochron.scheduler.internal;

import io.isochron.api.scheduling.SchedulingPolicy;
import org.osgi.service.component.annotations.Component;

/** Publishes the built-in {@code edf-refinement} policy. */
@Component(service = SchedulingPolicy.class, property = SchedulingPolicy.NAME_PROPERTY + "=edf-refinement")
public class EdfRefinementPolicy extends BuiltInPolicy {
    public EdfRefinementPolicy() {
        super("edf-refinement");
    }
}
