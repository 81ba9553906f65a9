package io.isochron.bridge.kvm.internal;

import io.isochron.api.runtime.GuestJitterSink;
import io.isochron.api.scheduling.RunQueueSummary;
import io.isochron.bridge.kvm.qmp.QmpClient;
import io.isochron.bridge.kvm.qmp.VcpuThread;
import io.isochron.channel.Frame;
import io.isochron.channel.SummaryConverter;
import io.isochron.channel.transport.Channel;
import io.isochron.channel.transport.ChannelListener;
import java.nio.file.Path;
import io.isochron.bridge.kvm.reservation.Reservation;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * One running QEMU guest: its QMP connection, its vCPU threads and its paravirtual channel. The
 * channel's reader thread fills {@link #pending} summaries; the bridge's tick takes them with
 * {@link #take} — the only lock they share, never held by telemetry.
 */
final class Vm implements ChannelListener, AutoCloseable {
    final String name;
    final Path qmpSocket;
    final int qemuPid;
    final List<VcpuThread> vcpus;
    private final QmpClient qmp;
    private final SummaryConverter converter;
    private final Supplier<GuestJitterSink> jitter;
    private final RunQueueSummary[] pending;
    private final long[] pendingAt;
    /** vCPU index → the reservation in force; written when the guest is found, read by the bridge. */
    final Map<Integer, Reservation> reservations = new ConcurrentHashMap<>();
    /** vCPU index (or -1 for the guest) → why its configured reservation is not in force. */
    final Map<Integer, String> reservationProblems = new ConcurrentHashMap<>();
    private volatile Channel channel;
    private volatile long frames;

    Vm(String name, Path qmpSocket, int qemuPid, List<VcpuThread> vcpus, QmpClient qmp, SummaryConverter converter,
            Supplier<GuestJitterSink> jitter) {
        this.name = name;
        this.qmpSocket = qmpSocket;
        this.qemuPid = qemuPid;
        this.vcpus = List.copyOf(vcpus);
        this.qmp = qmp;
        this.converter = converter;
        this.jitter = jitter;
        this.pending = new RunQueueSummary[vcpus.size()];
        this.pendingAt = new long[vcpus.size()];
        for (int i = 0; i < pending.length; i++) {
            pending[i] = new RunQueueSummary();
        }
    }

    void attachChannel(Channel c) {
        channel = c.start();
    }

    Channel channel() {
        return channel;
    }

    boolean qmpConnected() {
        return qmp.isConnected();
    }

    long frames() {
        return frames;
    }

    @Override
    public void onFrame(Frame frame) {
        long now = System.nanoTime();
        synchronized (pending) {
            converter.convert(frame, pending);
            for (int v = 0; v < pendingAt.length; v++) {
                pendingAt[v] = now;
            }
        }
        frames++;
        GuestJitterSink sink = jitter.get();
        if (sink != null && frame.hasCycle()) {
            sink.report(name, frame.cycleMicros(), frame.latencies(), frame.sampleCount(), frame.overruns());
        }
    }

    /**
     * Swaps the newest summary of vCPU {@code index} with {@code into} if it arrived after
     * {@code sinceNanos}; the tick owns {@code into}'s old contents afterwards.
     *
     * @return the summary now holding the newest data, or null if nothing newer arrived
     */
    RunQueueSummary take(int index, long sinceNanos, RunQueueSummary into) {
        synchronized (pending) {
            if (pendingAt[index] <= sinceNanos) {
                return null;
            }
            RunQueueSummary fresh = pending[index];
            pending[index] = into;
            return fresh;
        }
    }

    /** When the newest frame for vCPU {@code index} arrived (System.nanoTime), 0 if none yet. */
    long arrivedAt(int index) {
        synchronized (pending) {
            return pendingAt[index];
        }
    }

    @Override
    public void close() {
        Channel c = channel;
        if (c != null) {
            c.close();
        }
        qmp.close();
        GuestJitterSink sink = jitter.get();
        if (sink != null) {
            sink.remove(name);
        }
    }
}
