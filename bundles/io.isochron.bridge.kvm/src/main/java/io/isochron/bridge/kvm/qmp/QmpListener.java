package io.isochron.bridge.kvm.qmp;

/**
 * Receives a connection's events in the order QEMU sent them, on one thread per connection that is
 * not the socket reader, so a listener may call {@link QmpClient#execute} itself.
 */
public interface QmpListener {
    void onEvent(QmpEvent event);

    /** Called once, last, when the connection ends for any reason (QEMU exited, or close()). */
    void onDisconnected(String reason);
}
