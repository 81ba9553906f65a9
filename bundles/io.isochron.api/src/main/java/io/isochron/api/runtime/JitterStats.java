package io.isochron.api.runtime;

/**
 * Wake-up latency of a periodic control cycle (actual − expected wake-up) over the last window, in
 * microseconds. Sources are {@code host} (the appliance's own probe) or a VM's name (what its guest
 * reports over the paravirtual channel).
 *
 * @param cycleMicros the cycle the source runs at
 * @param samples cycles measured in the window
 * @param overruns cycles missed altogether (woke up more than one cycle late)
 */
public record JitterStats(String source, long cycleMicros, double minMicros, double avgMicros, double maxMicros,
        double p99Micros, double p999Micros, long samples, long overruns) {
    public static final String HOST = "host";
}
