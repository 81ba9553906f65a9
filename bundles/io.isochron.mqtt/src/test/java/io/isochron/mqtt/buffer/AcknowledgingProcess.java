package io.isochron.mqtt.buffer;

import java.nio.file.Path;

/**
 * A process that drains a buffer as a sender does — peek, acknowledge — and prints every
 * acknowledged sequence, until it is killed. Usage: {@code AcknowledgingProcess <dir> <segmentBytes>}.
 */
public final class AcknowledgingProcess {
    private AcknowledgingProcess() {}

    public static void main(String[] args) throws Exception {
        DurableQueue q = DurableQueue.open(Path.of(args[0]), 64L << 20, Long.parseLong(args[1]), false);
        System.out.println("ready");
        System.out.flush();
        for (DurableQueue.Message m; (m = q.peek()) != null; ) {
            q.acknowledge(m.sequence());
            System.out.println(m.sequence());
        }
        Thread.sleep(60_000); // never closed: only a kill ends it
    }
}
