package io.isochron.bridge.kvm.schedext;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * One connection to the scheduler's privileged end, {@code isochron-scx serve} (docs/schedext.md):
 * commands go out as lines from any thread, the lines it sends back go to a listener on this
 * connection's own reader thread. Writing a thread's category allocates nothing and never waits:
 * a service that stopped reading (its socket's buffer full) fails the write instead of holding
 * the bridge's decision thread.
 */
final class SchedExtConnection implements AutoCloseable {
    /** A line longer than this is cut (the service's longest is its stats line, ~700 characters). */
    private static final int MAX_LINE = 4096;

    private final SocketChannel channel;
    private final Selector selector;
    private final ByteBuffer out = ByteBuffer.allocate(256);
    private final Thread reader;
    private volatile boolean closing;

    /**
     * @param lines gets every line the service sends, on the reader thread
     * @param closed gets why the connection ended (once), unless {@link #close} ended it
     */
    private SchedExtConnection(SocketChannel channel, Selector selector, Consumer<String> lines,
            Consumer<String> closed) {
        this.channel = channel;
        this.selector = selector;
        this.reader = new Thread(() -> read(lines, closed), "isochron-schedext-reader");
        reader.setDaemon(true);
    }

    static SchedExtConnection open(Path socket, Consumer<String> lines, Consumer<String> closed) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        Selector sel;
        try {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.configureBlocking(false);
            sel = Selector.open();
            ch.register(sel, SelectionKey.OP_READ);
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        SchedExtConnection c = new SchedExtConnection(ch, sel, lines, closed);
        c.reader.start();
        return c;
    }

    /** Sends one command line (without its newline). */
    synchronized void send(String command) throws IOException {
        out.clear();
        out.put(command.getBytes(StandardCharsets.US_ASCII)).put((byte) '\n');
        flush();
    }

    /** {@code thread TID CATEGORY}: allocation-free, for the decision path. */
    synchronized void thread(int tid, int category) throws IOException {
        out.clear();
        ascii("thread ");
        digits(tid);
        out.put((byte) ' ');
        digits(category);
        out.put((byte) '\n');
        flush();
    }

    /** {@code forget TID}. */
    synchronized void forget(int tid) throws IOException {
        out.clear();
        ascii("forget ");
        digits(tid);
        out.put((byte) '\n');
        flush();
    }

    private void ascii(String s) {
        for (int i = 0; i < s.length(); i++) {
            out.put((byte) s.charAt(i));
        }
    }

    private void digits(int n) {
        if (n >= 10) {
            digits(n / 10);
        }
        out.put((byte) ('0' + n % 10));
    }

    private void flush() throws IOException {
        out.flip();
        while (out.hasRemaining()) {
            if (channel.write(out) == 0) {
                throw new IOException("the service is not reading (its socket's buffer is full)");
            }
        }
    }

    private void read(Consumer<String> lines, Consumer<String> closed) {
        ByteBuffer in = ByteBuffer.allocate(8192);
        byte[] line = new byte[MAX_LINE];
        int len = 0;
        String why = "the service closed the connection";
        try {
            while (!closing) {
                selector.select(readable -> { }); // then read whatever is there (the set is not kept)
                int n = channel.read(in);
                if (n < 0) {
                    break;
                }
                in.flip();
                while (in.hasRemaining()) {
                    byte b = in.get();
                    if (b == '\n') {
                        lines.accept(new String(line, 0, len, StandardCharsets.UTF_8));
                        len = 0;
                    } else if (len < MAX_LINE) {
                        line[len++] = b;
                    }
                }
                in.clear();
            }
        } catch (IOException | ClosedSelectorException e) {
            why = "the connection failed: " + e.getMessage();
        }
        try {
            selector.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        if (!closing) {
            closed.accept(why);
        }
    }

    @Override
    public void close() {
        closing = true;
        selector.wakeup();
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
