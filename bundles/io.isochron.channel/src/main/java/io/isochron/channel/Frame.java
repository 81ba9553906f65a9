package io.isochron.channel;

import java.util.Arrays;

/**
 * One frame of the paravirtual channel, protocol version 1 (docs/protocol.md): header, task block
 * and optional cycle block.
 *
 * <p>Mutable and reusable: a {@link FrameReader} fills the same instance for every frame of its
 * channel, and the arrays only grow, so decoding allocates nothing once they have reached the
 * largest frame seen. The encoder side (tests, a guest stand-in) fills it through {@link #clear},
 * {@link #addTask} and {@link #setCycle}. Field values are stored as decoded; unsigned 32-bit
 * fields are returned widened to {@code long}.
 */
public final class Frame {
    public static final int MAGIC = 0x434F5349; // "ISOC" read little-endian
    public static final int VERSION = 1;
    public static final int FLAG_CYCLE = 0x01;
    public static final int HEADER_SIZE = 24;
    public static final int CRC_SIZE = 4;
    public static final int TASK_SIZE = 36;
    /** Task count field. */
    public static final int TASK_BLOCK_HEADER = 2;
    /** Cycle, overruns, sample count. */
    public static final int CYCLE_BLOCK_HEADER = 10;
    public static final int MAX_TASKS = 1024;
    public static final int MAX_SAMPLES = 4096;
    public static final int MAX_PAYLOAD = 0xFFFF;
    public static final int MAX_FRAME = HEADER_SIZE + MAX_PAYLOAD + CRC_SIZE;
    public static final long MIN_CYCLE_MICROS = 100;
    public static final long MAX_CYCLE_MICROS = 10_000_000;

    public static final int STATE_RUNNING = 0;
    public static final int STATE_RUNNABLE = 1;
    public static final int STATE_IO_BLOCKED = 2;
    public static final int STATE_SLEEPING = 3;
    /** Hint value 6: CPU-only work. */
    public static final int HINT_NONE = 6;
    /** Hint value 255: no hint, the measured I/O deltas count. */
    public static final int NO_HINT = 255;
    /** Per-task I/O deltas, in the order GPU, RAM, CACHE, ETHERNET, BUS, STORAGE. */
    public static final int COMPONENTS = 6;

    private long vmId;
    private long sequence;
    private long guestNanos;
    private boolean cycle;

    private int taskCount;
    private int[] pid = new int[8];
    private byte[] state = new byte[8];
    private byte[] hint = new byte[8];
    private byte[] hintPercent = new byte[8];
    private byte[] vcpu = new byte[8];
    private long[] cpuMicros = new long[8];
    private long[] ioBytes = new long[8 * COMPONENTS];

    private long cycleMicros;
    private long overruns;
    private int sampleCount;
    private int[] latencies = new int[16];

    // Filled by the reader from the frames before this one; not part of the encoding.
    private long intervalNanos;
    private long lostBefore;

    /** Empties the frame (no tasks, no cycle block, header fields 0), keeping its capacity. */
    public Frame clear() {
        vmId = 0;
        sequence = 0;
        guestNanos = 0;
        cycle = false;
        taskCount = 0;
        cycleMicros = 0;
        overruns = 0;
        sampleCount = 0;
        intervalNanos = 0;
        lostBefore = 0;
        return this;
    }

    /** Sets the header fields; vm id and sequence are unsigned 32-bit (only the low 32 bits count). */
    public Frame setHeader(long vmId, long sequence, long guestNanos) {
        this.vmId = vmId & 0xFFFF_FFFFL;
        this.sequence = sequence & 0xFFFF_FFFFL;
        this.guestNanos = guestNanos;
        return this;
    }

    /**
     * Appends a task entry. Values are stored as given (masked to their field width) so that tests
     * can also build frames the host must reject.
     *
     * @param ioBytes byte deltas per component, GPU..STORAGE; shorter arrays mean 0 for the rest
     */
    public Frame addTask(int pid, int state, int hint, int hintPercent, int vcpu, long cpuMicros, long... ioBytes) {
        int t = appendTask();
        this.pid[t] = pid;
        this.state[t] = (byte) state;
        this.hint[t] = (byte) hint;
        this.hintPercent[t] = (byte) hintPercent;
        this.vcpu[t] = (byte) vcpu;
        this.cpuMicros[t] = cpuMicros & 0xFFFF_FFFFL;
        int n = Math.min(ioBytes.length, COMPONENTS);
        for (int k = 0; k < COMPONENTS; k++) {
            this.ioBytes[t * COMPONENTS + k] = k < n ? ioBytes[k] & 0xFFFF_FFFFL : 0;
        }
        return this;
    }

    /** Adds the cycle block (flag bit 0) with no samples yet; see {@link #addLatency}. */
    public Frame setCycle(long cycleMicros, long overruns) {
        this.cycle = true;
        this.cycleMicros = cycleMicros & 0xFFFF_FFFFL;
        this.overruns = overruns & 0xFFFF_FFFFL;
        this.sampleCount = 0;
        return this;
    }

    /** Appends one wake-up latency sample (µs, 0..65535) to the cycle block. */
    public Frame addLatency(int micros) {
        if (!cycle) {
            throw new IllegalStateException("no cycle block: call setCycle first");
        }
        ensureSamples(sampleCount + 1);
        latencies[sampleCount++] = micros & 0xFFFF;
        return this;
    }

    public long vmId() {
        return vmId;
    }

    public long sequence() {
        return sequence;
    }

    /** @return the guest's CLOCK_MONOTONIC when it built the frame, ns */
    public long guestNanos() {
        return guestNanos;
    }

    public int taskCount() {
        return taskCount;
    }

    public int pid(int task) {
        return pid[check(task)];
    }

    /** @return {@link #STATE_RUNNING} .. {@link #STATE_SLEEPING} */
    public int state(int task) {
        return state[check(task)] & 0xFF;
    }

    /** @return 0..5 a component (GPU..STORAGE), {@link #HINT_NONE}, or {@link #NO_HINT} */
    public int hint(int task) {
        return hint[check(task)] & 0xFF;
    }

    public int hintPercent(int task) {
        return hintPercent[check(task)] & 0xFF;
    }

    /** @return the guest CPU (= vCPU index) the task last ran on */
    public int vcpu(int task) {
        return vcpu[check(task)] & 0xFF;
    }

    public long cpuMicros(int task) {
        return cpuMicros[check(task)];
    }

    /** @param component 0..5 in the order GPU, RAM, CACHE, ETHERNET, BUS, STORAGE */
    public long ioBytes(int task, int component) {
        if (component < 0 || component >= COMPONENTS) {
            throw new IndexOutOfBoundsException("component " + component + " (allowed: 0.." + (COMPONENTS - 1) + ")");
        }
        return ioBytes[check(task) * COMPONENTS + component];
    }

    /** @return true if the frame carries a cycle block */
    public boolean hasCycle() {
        return cycle;
    }

    /** @return the guest's control cycle in µs; 0 without a cycle block */
    public long cycleMicros() {
        return cycleMicros;
    }

    /** @return cycles the guest missed altogether since its previous frame */
    public long overruns() {
        return overruns;
    }

    /** @return the number of valid entries at the start of {@link #latencies()} */
    public int sampleCount() {
        return sampleCount;
    }

    /**
     * The frame's own latency array, not a copy (shaped for {@code GuestJitterSink.report}); only the
     * first {@link #sampleCount()} entries are valid, and only until the frame is reused.
     */
    public int[] latencies() {
        return latencies;
    }

    /**
     * @return guest-time ns since the previous frame of this guest (sequence − 1) when the reader
     *     received that frame, else 0 (unknown: first frame, frames lost, guest restarted)
     */
    public long intervalNanos() {
        return intervalNanos;
    }

    /** @return frames lost between the previous frame received and this one (a sequence gap) */
    public long lostBefore() {
        return lostBefore;
    }

    /** A deep copy, for code that must keep a frame beyond the listener call. */
    public Frame copy() {
        Frame c = new Frame();
        c.copyFrom(this);
        return c;
    }

    /** Makes this frame equal to {@code other}, reusing this frame's arrays where they are large enough. */
    public Frame copyFrom(Frame other) {
        vmId = other.vmId;
        sequence = other.sequence;
        guestNanos = other.guestNanos;
        cycle = other.cycle;
        taskCount = 0;
        ensureTasks(other.taskCount);
        taskCount = other.taskCount;
        System.arraycopy(other.pid, 0, pid, 0, taskCount);
        System.arraycopy(other.state, 0, state, 0, taskCount);
        System.arraycopy(other.hint, 0, hint, 0, taskCount);
        System.arraycopy(other.hintPercent, 0, hintPercent, 0, taskCount);
        System.arraycopy(other.vcpu, 0, vcpu, 0, taskCount);
        System.arraycopy(other.cpuMicros, 0, cpuMicros, 0, taskCount);
        System.arraycopy(other.ioBytes, 0, ioBytes, 0, taskCount * COMPONENTS);
        cycleMicros = other.cycleMicros;
        overruns = other.overruns;
        ensureSamples(other.sampleCount);
        sampleCount = other.sampleCount;
        System.arraycopy(other.latencies, 0, latencies, 0, sampleCount);
        intervalNanos = other.intervalNanos;
        lostBefore = other.lostBefore;
        return this;
    }

    /** Equal header, tasks and cycle block (the encoded content; reader bookkeeping ignored). */
    public boolean sameContent(Frame o) {
        if (vmId != o.vmId || sequence != o.sequence || guestNanos != o.guestNanos || cycle != o.cycle
                || taskCount != o.taskCount || cycleMicros != o.cycleMicros || overruns != o.overruns
                || sampleCount != o.sampleCount) {
            return false;
        }
        int n = taskCount;
        return Arrays.equals(pid, 0, n, o.pid, 0, n)
                && Arrays.equals(state, 0, n, o.state, 0, n)
                && Arrays.equals(hint, 0, n, o.hint, 0, n)
                && Arrays.equals(hintPercent, 0, n, o.hintPercent, 0, n)
                && Arrays.equals(vcpu, 0, n, o.vcpu, 0, n)
                && Arrays.equals(cpuMicros, 0, n, o.cpuMicros, 0, n)
                && Arrays.equals(ioBytes, 0, n * COMPONENTS, o.ioBytes, 0, n * COMPONENTS)
                && Arrays.equals(latencies, 0, sampleCount, o.latencies, 0, sampleCount);
    }

    @Override
    public String toString() {
        return "Frame[vm=" + vmId + ", seq=" + sequence + ", guestNanos=" + guestNanos + ", tasks=" + taskCount
                + (cycle ? ", cycle=" + cycleMicros + "us, overruns=" + overruns + ", samples=" + sampleCount : "")
                + "]";
    }

    // --- decoder access (same package): fills fields in place without per-field range checks ---

    void decodedHeader(long vmId, long sequence, long guestNanos, boolean cycle) {
        this.vmId = vmId;
        this.sequence = sequence;
        this.guestNanos = guestNanos;
        this.cycle = cycle;
        this.cycleMicros = 0;
        this.overruns = 0;
        this.sampleCount = 0;
        this.intervalNanos = 0;
        this.lostBefore = 0;
    }

    void decodedTasks(int count) {
        taskCount = 0;
        ensureTasks(count);
        taskCount = count;
    }

    void decodedTask(int t, int pid, byte state, byte hint, byte hintPercent, byte vcpu, long cpuMicros) {
        this.pid[t] = pid;
        this.state[t] = state;
        this.hint[t] = hint;
        this.hintPercent[t] = hintPercent;
        this.vcpu[t] = vcpu;
        this.cpuMicros[t] = cpuMicros;
    }

    long[] ioArray() {
        return ioBytes;
    }

    void decodedCycle(long cycleMicros, long overruns, int samples) {
        this.cycleMicros = cycleMicros;
        this.overruns = overruns;
        ensureSamples(samples);
        this.sampleCount = samples;
    }

    void tracking(long intervalNanos, long lostBefore) {
        this.intervalNanos = intervalNanos;
        this.lostBefore = lostBefore;
    }

    // raw accessors for the encoder
    byte rawState(int t) {
        return state[t];
    }

    byte rawHint(int t) {
        return hint[t];
    }

    byte rawHintPercent(int t) {
        return hintPercent[t];
    }

    byte rawVcpu(int t) {
        return vcpu[t];
    }

    private int appendTask() {
        ensureTasks(taskCount + 1);
        return taskCount++;
    }

    private void ensureTasks(int n) {
        if (n > pid.length) {
            int cap = Math.max(n, pid.length * 2);
            pid = Arrays.copyOf(pid, cap);
            state = Arrays.copyOf(state, cap);
            hint = Arrays.copyOf(hint, cap);
            hintPercent = Arrays.copyOf(hintPercent, cap);
            vcpu = Arrays.copyOf(vcpu, cap);
            cpuMicros = Arrays.copyOf(cpuMicros, cap);
            ioBytes = Arrays.copyOf(ioBytes, cap * COMPONENTS);
        }
    }

    private void ensureSamples(int n) {
        if (n > latencies.length) {
            latencies = Arrays.copyOf(latencies, Math.max(n, latencies.length * 2));
        }
    }

    private int check(int task) {
        if (task < 0 || task >= taskCount) {
            throw new IndexOutOfBoundsException("task " + task + " of " + taskCount);
        }
        return task;
    }
}
