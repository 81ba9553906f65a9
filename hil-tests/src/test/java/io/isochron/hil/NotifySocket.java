package io.isochron.hil;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Plays systemd's notification socket: a datagram unix socket (the JDK cannot open one, python3 can)
 * whose messages are handed to the test with their arrival time.
 */
final class NotifySocket implements AutoCloseable {
    record Message(long nanoTime, String text) {}

    private final Path path;
    private final Process listener;
    private final BlockingQueue<Message> messages = new LinkedBlockingQueue<>();

    NotifySocket(Path path) throws IOException {
        this.path = path;
        listener = new ProcessBuilder("python3", "-u", "-c", String.join("\n",
                "import socket, sys",
                "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)",
                "s.bind(sys.argv[1])",
                "print('bound', flush=True)",
                "while True:",
                "    print(s.recv(4096).decode().replace('\\n', ' '), flush=True)"), path.toString())
                .redirectErrorStream(true)
                .start();
        BufferedReader out = new BufferedReader(new InputStreamReader(listener.getInputStream(), StandardCharsets.UTF_8));
        String first = out.readLine();
        if (!"bound".equals(first)) {
            throw new IOException("notification socket listener did not start: " + first);
        }
        Thread reader = new Thread(() -> {
            try {
                for (String line; (line = out.readLine()) != null; ) {
                    messages.add(new Message(System.nanoTime(), line));
                }
            } catch (IOException ignored) {
                // listener gone
            }
        }, "notify-socket");
        reader.setDaemon(true);
        reader.start();
    }

    Path path() {
        return path;
    }

    /** Waits for a message containing {@code text}; returns it, or null after the timeout. */
    Message await(String text, long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        while (true) {
            long left = deadline - System.nanoTime();
            Message m = left > 0 ? messages.poll(left, TimeUnit.NANOSECONDS) : null;
            if (m == null || m.text().contains(text)) {
                return m;
            }
        }
    }

    @Override
    public void close() {
        listener.destroyForcibly();
    }
}
