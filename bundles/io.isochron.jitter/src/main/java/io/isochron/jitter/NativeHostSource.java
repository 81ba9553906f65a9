package io.isochron.jitter;

import java.lang.System.Logger.Level;

/**
 * The native probe as a host source. When the kernel refuses SCHED_FIFO (not root, no
 * CAP_SYS_NICE, RT throttling configuration) it measures at SCHED_OTHER instead, logs that once and
 * keeps saying so in {@link #problem()}: the numbers are then those of an ordinary thread.
 */
public final class NativeHostSource implements HostSource {
    private static final System.Logger LOG = System.getLogger("io.isochron.jitter");

    private final NativeProbe probe;
    private final ProbeReader reader = new ProbeReader();
    private final String degraded;
    private volatile String readProblem = "";

    private NativeHostSource(NativeProbe probe, String degraded) {
        this.probe = probe;
        this.degraded = degraded;
    }

    /**
     * @throws ProbeException when the probe cannot run at all (e.g. the CPU to pin to does not exist)
     */
    public static NativeHostSource start(NativeProbe.Settings settings) throws ProbeException {
        NativeProbe probe;
        String degraded = "";
        try {
            probe = NativeProbe.start(settings);
        } catch (ProbeException e) {
            if (e.errno() != ProbeException.EPERM || settings.policy() != NativeProbe.SCHED_FIFO) {
                throw e;
            }
            degraded = "host probe: SCHED_FIFO priority " + settings.priority() + " refused ("
                    + "EPERM: " + e.description() + "); measuring at SCHED_OTHER, latencies are not those of a real-time thread";
            LOG.log(Level.WARNING, degraded);
            probe = NativeProbe.start(settings.withPolicy(NativeProbe.SCHED_OTHER, 0));
        }
        if (probe.memoryLockErrno() != 0) {
            String lock = "host probe: mlockall failed (errno " + probe.memoryLockErrno() + "); page faults may add latency";
            LOG.log(Level.WARNING, lock);
            degraded = degraded.isEmpty() ? lock : degraded + "; " + lock;
        }
        return new NativeHostSource(probe, degraded);
    }

    public NativeProbe probe() {
        return probe;
    }

    @Override
    public String name() {
        return "native";
    }

    @Override
    public long cycleMicros() {
        return probe.settings().intervalMicros();
    }

    @Override
    public void drainInto(LatencyWindow window) {
        try {
            reader.addDelta(probe.read(), window);
            readProblem = "";
        } catch (ProbeException | RuntimeException e) {
            readProblem = "host probe unreadable: " + e.getMessage();
        }
    }

    @Override
    public String problem() {
        String r = readProblem;
        return r.isEmpty() ? degraded : degraded.isEmpty() ? r : degraded + "; " + r;
    }

    @Override
    public void close() {
        probe.close();
    }
}
