package io.isochron.jitter;

import java.util.Locale;

/**
 * The native host probe: a pthread (not a JVM thread) that sleeps to absolute deadlines on
 * CLOCK_MONOTONIC and counts how late it wakes up into 1 µs buckets. {@link #read()} copies the
 * counters without stopping it; the caller diffs consecutive {@link Snapshot}s for windows.
 */
public final class NativeProbe implements AutoCloseable {
    public static final long MIN_INTERVAL_MICROS = 100;
    public static final long MAX_INTERVAL_MICROS = 10_000;
    public static final int SCHED_OTHER = 0;
    public static final int SCHED_FIFO = 1;

    // Snapshot layout, as in isochron_jitter.c.
    private static final int S_COUNT = 0;
    private static final int S_SUM_NS = 1;
    private static final int S_MIN_NS = 2;
    private static final int S_MAX_NS = 3;
    private static final int S_OVERRUNS = 4;
    private static final int S_POLICY = 5;
    private static final int S_PRIORITY = 6;
    private static final int S_TID = 7;
    private static final int S_SLACK_ERR = 8;
    private static final int S_RUNNING = 9;
    private static final int S_HEADER = 10;

    static {
        NativeLibrary.load();
    }

    /** What to run. {@code cpu} −1: no pinning; {@code histogramMicros}: latencies at or above go to overflow. */
    public record Settings(long intervalMicros, int policy, int priority, int cpu, int histogramMicros, boolean lockMemory) {
        public Settings {
            if (intervalMicros < MIN_INTERVAL_MICROS || intervalMicros > MAX_INTERVAL_MICROS) {
                throw new IllegalArgumentException("interval " + intervalMicros + " µs is outside the allowed range "
                        + MIN_INTERVAL_MICROS + ".." + MAX_INTERVAL_MICROS + " µs");
            }
            if (policy == SCHED_FIFO && (priority < 1 || priority > 99)) {
                throw new IllegalArgumentException("SCHED_FIFO priority " + priority + " is outside the allowed range 1..99");
            }
            if (policy != SCHED_FIFO && policy != SCHED_OTHER) {
                throw new IllegalArgumentException("policy " + policy + " is neither SCHED_FIFO (1) nor SCHED_OTHER (0)");
            }
            if (cpu < -1) {
                throw new IllegalArgumentException("cpu " + cpu + " is not a CPU number (-1: no pinning)");
            }
            if (histogramMicros < 1 || histogramMicros > 1_000_000) {
                throw new IllegalArgumentException("histogram range " + histogramMicros + " µs is outside 1..1000000");
            }
        }

        public static Settings fifo(long intervalMicros, int priority) {
            return new Settings(intervalMicros, SCHED_FIFO, priority, -1, 10_000, true);
        }

        public Settings withPolicy(int newPolicy, int newPriority) {
            return new Settings(intervalMicros, newPolicy, newPriority, cpu, histogramMicros, lockMemory);
        }
    }

    /**
     * Cumulative counters since the start. Latencies are in ns except the histogram, whose bucket i
     * counts latencies in [i, i+1) µs and whose last entry counts those at or above its range.
     */
    public record Snapshot(long count, long sumNanos, long minNanos, long maxNanos, long overruns, long[] histogram,
            int policy, int priority, int tid, int timerSlackErrno, boolean running) {
        public long overflow() {
            return histogram[histogram.length - 1];
        }
    }

    private final Settings settings;
    private final int memoryLockErrno;
    private long handle;

    private NativeProbe(Settings settings, long handle, int memoryLockErrno) {
        this.settings = settings;
        this.handle = handle;
        this.memoryLockErrno = memoryLockErrno;
    }

    /**
     * Starts the probe thread.
     *
     * @throws ProbeException when the kernel refuses the policy, priority or CPU (EPERM, EINVAL)
     */
    public static NativeProbe start(Settings s) throws ProbeException {
        long intervalNanos = s.intervalMicros() * 1000;
        int[] status = new int[3];
        long h = start(intervalNanos, s.policy(), s.priority(), s.cpu(), s.histogramMicros(), s.lockMemory(), status);
        if (h == 0) {
            throw startFailure(status, String.format(Locale.ROOT, "interval=%dns, policy=%s, priority=%d, cpu=%d, buckets=%d",
                    intervalNanos, policyName(s.policy()), s.priority(), s.cpu(), s.histogramMicros()));
        }
        return new NativeProbe(s, h, status[0]);
    }

    /** What {@link #start(long, int, int, int, int, boolean, int[])} reported as {lock errno, failed call, errno}. */
    static ProbeException startFailure(int[] status, String arguments) {
        String call = switch (status[1]) {
            case 1 -> "probe_start";
            case 2 -> "calloc";
            case 3 -> "pthread_create";
            default -> "probe_start (status " + status[1] + ")";
        };
        return new ProbeException(status[2], strerror(status[2]), call, arguments);
    }

    public Settings settings() {
        return settings;
    }

    /** errno of mlockall, 0 if memory is locked (or locking was not asked for). */
    public int memoryLockErrno() {
        return memoryLockErrno;
    }

    public synchronized Snapshot read() throws ProbeException {
        if (handle == 0) {
            throw new IllegalStateException("probe is closed");
        }
        long[] raw = new long[S_HEADER + settings.histogramMicros() + 1];
        int err = snapshot(handle, raw);
        if (err != 0) {
            throw new ProbeException(err, strerror(err), "probe_snapshot", "length=" + raw.length);
        }
        long[] hist = new long[settings.histogramMicros() + 1];
        System.arraycopy(raw, S_HEADER, hist, 0, hist.length);
        return new Snapshot(raw[S_COUNT], raw[S_SUM_NS], raw[S_MIN_NS], raw[S_MAX_NS], raw[S_OVERRUNS], hist,
                (int) raw[S_POLICY], (int) raw[S_PRIORITY], (int) raw[S_TID], (int) raw[S_SLACK_ERR], raw[S_RUNNING] != 0);
    }

    @Override
    public synchronized void close() {
        if (handle != 0) {
            stop(handle);
            handle = 0;
        }
    }

    public static String policyName(int policy) {
        return switch (policy) {
            case SCHED_OTHER -> "SCHED_OTHER";
            case SCHED_FIFO -> "SCHED_FIFO";
            case 2 -> "SCHED_RR";
            default -> String.format(Locale.ROOT, "policy %d", policy);
        };
    }

    // Package-private so that tests can hand the native side what the Java checks would refuse.
    /** @return the handle, or 0 with {@code status} = {mlockall errno, failed call (1 arguments, 2 allocation, 3 pthread_create), errno} */
    static native long start(long intervalNanos, int policy, int priority, int cpu, int buckets, boolean lock, int[] status);

    /** @return 0, or the errno why no copy was made */
    static native int snapshot(long handle, long[] out);

    static native String strerror(int errno);

    static native void stop(long handle);
}
