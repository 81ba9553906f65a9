package io.isochron.jitter;

/** Where the host's latencies come from: the native probe or cyclictest. */
public interface HostSource extends AutoCloseable {
    /** {@code native} or {@code cyclictest}. */
    String name();

    long cycleMicros();

    /** Adds the latencies measured since the previous call. */
    void drainInto(LatencyWindow window);

    /** Why the measurement is degraded or absent, one line; empty when it runs as configured. */
    String problem();

    @Override
    void close();
}
