package io.isochron.api.runtime;

import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/** Read side of the jitter monitor for telemetry. Never blocks the probes. */
@ProviderType
public interface JitterSource {
    /** The latest statistics of every source, host first; empty before the first window completes. */
    List<JitterStats> jitter();
}
