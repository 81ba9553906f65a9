package io.isochron.api.runtime;

import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/** Read side of the jitter monitor for telemetry and health. Never blocks the probes. */
@ProviderType
public interface JitterSource {
    /** The latest statistics of every source, host first; empty before the first window completes. */
    List<JitterStats> jitter();

    /**
     * Why the measured jitter is outside its configured limits, as one line naming the source, the
     * value and the limit; empty while every source is within its limits.
     */
    default String offSpec() {
        return "";
    }
}
