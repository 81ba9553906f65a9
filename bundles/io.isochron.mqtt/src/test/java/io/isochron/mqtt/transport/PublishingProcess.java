package io.isochron.mqtt.transport;

import io.isochron.mqtt.buffer.DurableQueue;
import java.nio.file.Path;

/**
 * An appliance's sender on its own: drains the buffer to the broker until it is killed.
 * Usage: {@code PublishingProcess <buffer dir> <session store dir> <broker uri>}.
 */
public final class PublishingProcess {
    private PublishingProcess() {}

    public static void main(String[] args) throws Exception {
        DurableQueue queue = DurableQueue.open(Path.of(args[0]), 1 << 20, 64 * 1024, false);
        new StoreAndForwardPublisher(queue, Path.of(args[1]), StoreAndForwardPublisherTest.settings(args[2]),
                StoreAndForwardPublisher.Session.plain()).start();
        Thread.sleep(120_000); // never closed: only a kill ends it
    }
}
