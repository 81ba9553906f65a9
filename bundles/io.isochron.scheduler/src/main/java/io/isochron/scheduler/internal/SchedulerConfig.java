package io.isochron.scheduler.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(
        name = "Isochron scheduler",
        description = "Which scheduling policy places vCPUs on pCPUs. Changes apply between two decisions, "
                + "without a restart; an invalid value is rejected and the last good one stays in force.")
@interface SchedulerConfig {
    @AttributeDefinition(name = "Policy",
            description = "Name of a registered scheduling policy: shortest-queue, interference-aware, "
                    + "edf-refinement, edf, or one from an installed policy bundle.")
    String policy() default "interference-aware";

    @AttributeDefinition(name = "Overlap percent", min = "0", max = "100",
            description = "For interference-aware: how much a vCPU may co-run with vCPUs of its own "
                    + "category, in percent of its expected run time. 0 = strict separation.")
    double overlapPercent() default 0.0;

    @AttributeDefinition(name = "Telemetry window (ms)", min = "100", max = "60000",
            description = "Utilisations and the decision-latency p99 are computed over windows of this length; "
                    + "a change applies from the next window.")
    long windowMillis() default 1000;
}
