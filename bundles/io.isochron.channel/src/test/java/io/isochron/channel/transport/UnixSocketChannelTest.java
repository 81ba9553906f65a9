package io.isochron.channel.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.isochron.channel.ChannelStats;
import io.isochron.channel.RejectReason;
import io.isochron.channel.TestFrames;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Against real unix sockets, with the test playing QEMU's listening chardev. */
class UnixSocketChannelTest {
    @TempDir
    Path dir;

    @Test
    void readsFramesAndReconnectsWhenTheServerSideDrops() throws Exception {
        Path sock = dir.resolve("vm1.sock");
        Recorder rec = new Recorder();
        try (ServerSocketChannel server = listen(sock);
                Channel ch = new UnixSocketChannel(sock, ChannelConfig.of("vm1", 1).withReconnect(20, 200), rec).start()) {
            try (SocketChannel guest = server.accept()) {
                write(guest, TestFrames.concat(TestFrames.encoded(1, 1), "garbage".getBytes(), TestFrames.encoded(1, 2)));
                assertThat(rec.next().sequence()).isEqualTo(1);
                assertThat(rec.next().sequence()).isEqualTo(2);
                write(guest, java.util.Arrays.copyOf(TestFrames.encoded(1, 3), 50)); // cut off by the drop
            }
            rec.awaitState(ChannelState.CLOSED);
            try (SocketChannel guest = server.accept()) {
                write(guest, TestFrames.encoded(1, 5));
                assertThat(rec.next().sequence()).isEqualTo(5);
            }
            ChannelStats s = ch.stats();
            assertThat(s.frames()).isEqualTo(3);
            assertThat(s.connects()).isEqualTo(2);
            assertThat(s.lost()).as("frames 3 and 4").isEqualTo(2);
            assertThat(s.rejected(RejectReason.MAGIC)).isEqualTo(1);
            assertThat(s.rejected(RejectReason.LENGTH)).isEqualTo(1);
            ch.close();
            assertThat(ch.state()).isEqualTo(ChannelState.STOPPED);
        }
        assertThat(rec.states).startsWith(ChannelState.OPEN, ChannelState.CLOSED, ChannelState.OPEN).endsWith(ChannelState.STOPPED);
    }

    @Test
    void waitsForASocketThatDoesNotExistYetAndReportsThatOnce() throws Exception {
        Path sock = dir.resolve("later.sock");
        Recorder rec = new Recorder();
        try (Channel ch = new UnixSocketChannel(sock, ChannelConfig.of("later", 2).withReconnect(10, 20), rec).start()) {
            Thread.sleep(300); // ~15 failed attempts
            assertThat(rec.states).containsExactly(ChannelState.UNAVAILABLE);
            assertThat(rec.details.get(0)).contains("unix:" + sock);
            try (ServerSocketChannel server = listen(sock); SocketChannel guest = server.accept()) {
                write(guest, TestFrames.encoded(2, 1));
                assertThat(rec.next().vmId()).isEqualTo(2);
            }
        }
        assertThat(rec.count(ChannelState.UNAVAILABLE)).isEqualTo(1);
    }

    @Test
    void aFloodingGuestIsThrottledOnItsOwnChannelOnly() throws Exception {
        Path floodSock = dir.resolve("flood.sock");
        Path quietSock = dir.resolve("quiet.sock");
        Recorder flood = new Recorder();
        Recorder quiet = new Recorder();
        try (ServerSocketChannel floodServer = listen(floodSock);
                ServerSocketChannel quietServer = listen(quietSock);
                Channel fc = new UnixSocketChannel(floodSock, ChannelConfig.of("flood", 1).withRate(50, 10), flood).start();
                Channel qc = new UnixSocketChannel(quietSock, ChannelConfig.of("quiet", 2).withRate(50, 10), quiet).start();
                SocketChannel fg = floodServer.accept();
                SocketChannel qg = quietServer.accept()) {
            long t0 = System.nanoTime();
            long seq = 0;
            for (int tick = 1; tick <= 10; tick++) { // 1 s: the quiet guest at 10 Hz, the flooder 500 frames per tick
                for (int i = 0; i < 500; i++) {
                    write(fg, TestFrames.encoded(1, ++seq));
                }
                write(qg, TestFrames.encoded(2, tick));
                Thread.sleep(100);
            }
            for (int tick = 1; tick <= 10; tick++) {
                assertThat(quiet.next().sequence()).isEqualTo(tick);
            }
            waitUntilRead(fc, seq * TestFrames.encoded(1, 1).length);
            double seconds = (System.nanoTime() - t0) / 1e9;
            ChannelStats fs = fc.stats();
            assertThat(fs.frames()).isLessThanOrEqualTo((long) (10 + 50 * seconds) + 1);
            assertThat(fs.frames() + fs.rejected(RejectReason.RATE)).isEqualTo(seq);
            assertThat(qc.stats().rejected(RejectReason.RATE)).isZero();
        }
    }

    @Test
    void aFlappingConnectionDoesNotFloodTheLog() throws Exception {
        Path sock = dir.resolve("flap.sock");
        Recorder rec = new Recorder();
        java.util.List<String> logged = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Logger jul = java.util.logging.Logger.getLogger("io.isochron.channel");
        java.util.logging.Handler h = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                if (r.getMessage().startsWith("channel flap ")) {
                    logged.add(r.getMessage());
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        jul.addHandler(h);
        try (ServerSocketChannel server = listen(sock);
                Channel ch = new UnixSocketChannel(sock, ChannelConfig.of("flap", 1).withReconnect(1, 5), rec).start()) {
            for (int i = 0; i < 20; i++) {
                server.accept().close(); // QEMU-like peer that drops every connection at once
            }
            rec.awaitState(ChannelState.CLOSED);
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (ch.stats().connects() < 20 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(ch.stats().connects()).isGreaterThanOrEqualTo(20); // a connect waiting in the backlog counts too
        } finally {
            jul.removeHandler(h);
        }
        assertThat(rec.count(ChannelState.CLOSED)).isGreaterThanOrEqualTo(19);
        // open, closed, stopped; the other 19 drops and reopens only counted
        assertThat(logged).hasSizeLessThanOrEqualTo(4);
    }

    private static void waitUntilRead(Channel ch, long bytes) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (ch.stats().bytes() < bytes && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(ch.stats().bytes()).isEqualTo(bytes);
    }

    private static ServerSocketChannel listen(Path sock) throws IOException {
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        s.bind(UnixDomainSocketAddress.of(sock));
        return s;
    }

    private static void write(SocketChannel s, byte[] b) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(b);
        while (buf.hasRemaining()) {
            s.write(buf);
        }
    }
}
