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
    /** When the frame behind {@link #pending} arrived (System.nanoTime); one frame covers every vCPU. */
    private long pendingAt;
    /** vCPU index → the reservation in force; written when the guest is found, read by the bridge. */
    final Map<Integer, Reservation> reservations = new ConcurrentHashMap<>();
    /** vCPU index (or -1 for the guest) → why its configured reservation is not in force. */
    final Map<Integer, String> reservationProblems = new ConcurrentHashMap<>();
    private volatile Channel channel;
    /** Told when a frame arrived (the bridge wakes its decision thread); null when none is. */
    volatile Runnable frameListener;

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

    @Override
    public void onFrame(Frame frame) {
        long now = System.nanoTime();
        synchronized (pending) {
            converter.convert(frame, pending);
            pendingAt = now;
        }
        Runnable l = frameListener;
        if (l != null) {
            l.run();
        }
        GuestJitterSink sink = jitter.get();
        if (sink != null && frame.hasCycle()) {
            sink.report(name, frame.cycleMicros(), frame.latencies(), frame.sampleCount(), frame.overruns());
        }
    }

    /**
     * If a frame arrived after {@code sinceNanos}, swaps vCPU {@code index}'s summary from it into
     * {@code holder[slot]} (the summary that was there is filled by the next frame) and returns the
     * frame's arrival (System.nanoTime); otherwise leaves {@code holder} alone and returns 0.
     */
    long take(int index, long sinceNanos, RunQueueSummary[] holder, int slot) {
        synchronized (pending) {
            if (pendingAt <= sinceNanos) {
                return 0;
            }
            RunQueueSummary fresh = pending[index];
            pending[index] = holder[slot];
            holder[slot] = fresh;
            return pendingAt;
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
