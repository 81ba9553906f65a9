package io.isochron.api.runtime;

import org.osgi.annotation.versioning.ProviderType;

/** Read side of the scheduler for telemetry. Never blocks the scheduler. */
@ProviderType
public interface SchedulerStateSource {
    SchedulerState snapshot();
}
