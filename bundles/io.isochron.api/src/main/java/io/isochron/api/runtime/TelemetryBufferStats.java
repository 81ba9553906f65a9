package io.isochron.api.runtime;

/**
 * Counters of the store-and-forward buffer behind MQTT telemetry.
 *
 * @param buffered messages waiting to be delivered
 * @param dropped messages dropped because the buffer was full, since it was created
 * @param corrupt stored messages found damaged and skipped on recovery, since it was created
 */
public record TelemetryBufferStats(long buffered, long dropped, long corrupt) {}
