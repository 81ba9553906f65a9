package io.isochron.bridge.kvm.qmp;

/** One entry of {@code query-iothreads}: an {@code -object iothread} and its host thread. */
public record IoThread(String id, int threadId) {
}
