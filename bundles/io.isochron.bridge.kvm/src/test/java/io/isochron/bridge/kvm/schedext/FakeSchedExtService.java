package io.isochron.bridge.kvm.schedext;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Speaks isochron-scx serve's protocol (docs/schedext.md) over a real Unix socket, for the
 * enforcer's own logic; the real service is exercised on the firmware's kernel (HIL).
 */
public final class FakeSchedExtService implements AutoCloseable {
    public final List<String> received = new CopyOnWriteArrayList<>();
    public volatile String attachReply = "attached 0.42 isochron";
    /** Stops reading commands after the attach (a hung service). */
    public volatile boolean hangAfterAttach;
    private final ServerSocketChannel server;
    private volatile SocketChannel client;
    private final Thread thread;

    public FakeSchedExtService(Path socket) throws IOException {
        Files.deleteIfExists(socket);
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        thread = new Thread(this::serve, "fake-scx");
        thread.setDaemon(true);
        thread.start();
    }

    private void serve() {
        while (server.isOpen()) {
            try (SocketChannel c = server.accept()) {
                client = c;
                converse(c);
            } catch (IOException endedOrClosed) {
                // the next client, or the test is over
            }
        }
    }

    private void converse(SocketChannel c) throws IOException {
        StringBuilder line = new StringBuilder();
        ByteBuffer in = ByteBuffer.allocate(1024);
        while (c.read(in) >= 0) {
            in.flip();
            while (in.hasRemaining()) {
                char ch = (char) in.get();
                if (ch != '\n') {
                    line.append(ch);
                    continue;
                }
                String l = line.toString();
                line.setLength(0);
                received.add(l);
                if (l.equals("attach")) {
                    send(attachReply);
                    while (hangAfterAttach && c.isOpen()) {
                        sleepQuietly();
                    }
                } else if (l.startsWith("mode interference-aware ")) {
                    send(l);
                } else if (l.equals("mode shortest-queue")) {
                    send("mode shortest-queue 0");
                } else if (l.equals("mode edf") || l.equals("mode edf-refinement")) {
                    send(l + " 0");
                } else if (l.equals("stats")) {
                    // wakeups, then per category 0-7: run corun events dispatches refused unadmitted violations
                    // jobs misses
                    StringBuilder s = new StringBuilder("stats 3");
                    for (int k = 0; k < 8; k++) {
                        s.append(k == 1 ? " 100 2000000000 4 10 0 0 1 40 2" : k == 2 ? " 100 500000000 1 5 0 0 0 0 0"
                                : " 0 0 0 0 0 0 0 0 0");
                    }
                    send(s.toString());
                }
            }
            in.clear();
        }
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public void send(String line) throws IOException {
        SocketChannel c = client;
        ByteBuffer b = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.US_ASCII));
        while (b.hasRemaining()) {
            c.write(b);
        }
    }

    /** Ends the current connection, as the service does when it stops. */
    public void dropClient() throws IOException {
        client.close();
    }

    @Override
    public void close() throws IOException {
        server.close();
        SocketChannel c = client;
        if (c != null) {
            c.close();
        }
    }
}
