package io.isochron.api.runtime;

import org.osgi.annotation.versioning.ProviderType;

/** The store-and-forward buffer of MQTT telemetry, as a service, so every telemetry channel shows its counters. */
@ProviderType
public interface TelemetryBuffer {
    TelemetryBufferStats stats();
}
