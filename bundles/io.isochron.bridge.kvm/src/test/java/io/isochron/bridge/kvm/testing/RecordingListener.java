package io.isochron.bridge.kvm.testing;

import io.isochron.bridge.kvm.qmp.QmpEvent;
import io.isochron.bridge.kvm.qmp.QmpListener;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Keeps what a QMP connection reported, for tests to wait on. */
public final class RecordingListener implements QmpListener {
    private final BlockingQueue<QmpEvent> events = new LinkedBlockingQueue<>();
    private final BlockingQueue<String> disconnects = new LinkedBlockingQueue<>();

    @Override
    public void onEvent(QmpEvent event) {
        events.add(event);
    }

    @Override
    public void onDisconnected(String reason) {
        disconnects.add(reason);
    }

    /** The next event, or null if none came within 10 s. */
    public QmpEvent nextEvent() throws InterruptedException {
        return events.poll(10, TimeUnit.SECONDS);
    }

    /** The next disconnect reason, or null if none came within 10 s. */
    public String nextDisconnect() throws InterruptedException {
        return disconnects.poll(10, TimeUnit.SECONDS);
    }

    public int pendingDisconnects() {
        return disconnects.size();
    }

    public int pendingEvents() {
        return events.size();
    }
}
