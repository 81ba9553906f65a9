package io.isochron.api.runtime;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Where the hypervisor bridge hands the control-cycle latencies a guest reports over the
 * paravirtual channel, so they are measured per VM like the host's own probe.
 */
@ProviderType
public interface GuestJitterSink {
    /**
     * Wake-up latencies the guest measured since its previous report.
     *
     * @param vm the VM's name
     * @param cycleMicros the guest's control cycle
     * @param latencyMicros the first {@code count} entries are the latencies, in µs, of consecutive cycles
     * @param overruns cycles the guest missed altogether since its previous report
     */
    void report(String vm, long cycleMicros, int[] latencyMicros, int count, long overruns);

    /** The VM is gone: its statistics are dropped. */
    void remove(String vm);
}
