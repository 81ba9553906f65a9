package io.isochron.scheduler.internal;

import io.isochron.api.scheduling.SchedulingPolicy;
import org.osgi.service.component.annotations.Component;

/** Publishes the built-in {@code edf} policy. */
@Component(service = SchedulingPolicy.class, property = SchedulingPolicy.NAME_PROPERTY + "=edf")
public class EdfPolicy extends BuiltInPolicy {
    public EdfPolicy() {
        super("edf");
    }
}
