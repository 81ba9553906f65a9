package io.isochron.scheduler.internal;

import io.isochron.api.scheduling.SchedulingPolicy;
import org.osgi.service.component.annotations.Component;

/** Publishes the built-in {@code shortest-queue} policy. */
@Component(service = SchedulingPolicy.class, property = SchedulingPolicy.NAME_PROPERTY + "=shortest-queue")
public class ShortestQueuePolicy extends BuiltInPolicy {
    public ShortestQueuePolicy() {
        super("shortest-queue");
    }
}
