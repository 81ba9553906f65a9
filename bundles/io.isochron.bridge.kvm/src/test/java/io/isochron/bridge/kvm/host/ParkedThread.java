package io.isochron.bridge.kvm.host;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** A real Java thread that reports its kernel thread id and then blocks until closed. */
final class ParkedThread implements AutoCloseable {
    private final CountDownLatch release = new CountDownLatch(1);
    private final Thread thread;
    private final int tid;

    ParkedThread(Kernel kernel, String name) throws Exception {
        CompletableFuture<Integer> id = new CompletableFuture<>();
        thread = new Thread(() -> {
            id.complete(kernel.currentThreadId());
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, name);
        thread.setDaemon(true);
        thread.start();
        tid = id.get(10, TimeUnit.SECONDS);
    }

    int tid() {
        return tid;
    }

    @Override
    public void close() {
        release.countDown();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
