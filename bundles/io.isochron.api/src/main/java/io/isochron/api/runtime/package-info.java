/**
 * The running appliance: the hypervisor bridge that feeds the scheduler and applies its decisions,
 * the one service through which the policy is switched, and the read-only state that telemetry
 * (OPC UA, MQTT, shell) publishes.
 */
@Export
@Version("2.2.0")
package io.isochron.api.runtime;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
