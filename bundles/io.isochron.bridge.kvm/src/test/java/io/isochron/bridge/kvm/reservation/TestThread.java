package io.isochron.bridge.kvm.reservation;

import io.isochron.bridge.kvm.host.Kernel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A real Java thread with its kernel thread id. It loops: spins for 0.2 ms, then sleeps 2 ms, so it
 * runs and wakes up under whatever policy it gets but leaves the shared machine nearly idle.
 */
public final class TestThread implements AutoCloseable {
    private final Thread thread;
    private final int tid;
    private volatile boolean stop;

    public TestThread(Kernel kernel, String name) throws Exception {
        CompletableFuture<Integer> id = new CompletableFuture<>();
        thread = new Thread(() -> {
            id.complete(kernel.currentThreadId());
            while (!stop) {
                long until = System.nanoTime() + 200_000;
                while (System.nanoTime() < until) {
                    Thread.onSpinWait();
                }
                LockSupport.parkNanos(2_000_000);
            }
        }, name);
        thread.setDaemon(true);
        thread.start();
        tid = id.get(10, TimeUnit.SECONDS);
    }

    public int tid() {
        return tid;
    }

    @Override
    public void close() throws InterruptedException {
        stop = true;
        thread.join(TimeUnit.SECONDS.toMillis(10));
    }
}
