/**
 * The scheduling contract: run-queue summaries sent by guests, the read-only view of the run
 * queues a policy decides on, and the policy service interface. Policies are whiteboard services;
 * a bundle that registers a {@link io.isochron.api.scheduling.SchedulingPolicy} can be installed on
 * a running appliance and selected by name.
 */
@Export
@Version("1.0.0")
package io.isochron.api.scheduling;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
