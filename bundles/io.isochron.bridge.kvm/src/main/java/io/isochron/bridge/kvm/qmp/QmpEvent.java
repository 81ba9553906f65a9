package io.isochron.bridge.kvm.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * An asynchronous QMP event such as STOP, RESUME or SHUTDOWN, with its data (an empty object when
 * the event has none) and QEMU's host wall-clock timestamp.
 */
public record QmpEvent(String name, JsonNode data, Instant timestamp) {
}
