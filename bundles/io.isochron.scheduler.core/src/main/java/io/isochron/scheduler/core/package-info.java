/**
 * The scheduling core as plain Java: the classification unit, the run queues and the built-in
 * placements. The scheduler service drives it in the appliance, the simulator offline; it is the
 * one implementation of the decisions (docs/architecture.md, "Flow").
 */
@Export
@Version("1.0.0")
package io.isochron.scheduler.core;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
