/**
 * The telemetry model: every value the appliance publishes, named by its path (the OPC UA browse path
 * below {@code Objects/Isochron}, and the Sparkplug B / JSON metric name), with its type, unit and
 * range. One model feeds OPC UA, MQTT and the shell, so they cannot drift apart; the names are an
 * external contract (docs/architecture.md, "External contracts").
 */
@Export
@Version("1.0.0")
package io.isochron.api.telemetry;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
