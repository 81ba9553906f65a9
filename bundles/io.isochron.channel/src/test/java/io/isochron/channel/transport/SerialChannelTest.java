package io.isochron.channel.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.isochron.channel.ChannelStats;
import io.isochron.channel.Frame;
import io.isochron.channel.RejectReason;
import io.isochron.channel.TestFrames;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Against a real pty (python3's pty module plays QEMU's {@code -chardev pty}): binary frames through
 * a terminal device, including bytes a cooked tty would eat (XON/XOFF, CR, ^C).
 */
class SerialChannelTest {
    @TempDir
    Path dir;
    private Process pump;

    @AfterEach
    void stopPump() {
        if (pump != null) {
            pump.destroy();
        }
    }

    @Test
    void readsBinaryFramesFromAPtyAndReportsWhenItGoesAway() throws Exception {
        String slave = startPump();
        Path nativeDir = dir.resolve("native");
        Recorder rec = new Recorder();
        try (Channel ch = new SerialChannel(slave, ChannelConfig.of("plc", 7).withReconnect(20, 100)
                .withSerialNativeDir(nativeDir), rec).start()) {
            rec.awaitState(ChannelState.OPEN);
            assertThat(nativeDir.resolve("libjSerialComm.so")).isRegularFile();
            assertThat(System.getProperty(SerialNative.PROPERTY)).isEqualTo(nativeDir.toString());

            Frame awkward = new Frame().setHeader(7, 1, 0x0D0A1113L)
                    .addTask(0x03131103, 0, Frame.NO_HINT, 0, 0, 0x0A0D0311, 0x11, 0x13, 0x0D, 0x0A, 0x03, 0x7F);
            OutputStream out = pump.getOutputStream();
            out.write(TestFrames.concat(io.isochron.channel.FrameCodec.encode(awkward), "\r\n\u0003junk".getBytes(),
                    TestFrames.encoded(7, 2)));
            out.flush();
            assertThat(rec.next().sameContent(awkward)).isTrue();
            assertThat(rec.next().sequence()).isEqualTo(2);
            ChannelStats s = ch.stats();
            assertThat(s.rejected(RejectReason.MAGIC)).isEqualTo(1);

            out.close(); // the pty's master side closes, as when QEMU exits
            rec.awaitState(ChannelState.CLOSED);
            rec.awaitState(ChannelState.UNAVAILABLE); // the pty no longer exists
        }
        assertThat(rec.states).endsWith(ChannelState.STOPPED);
    }

    private String startPump() throws IOException {
        Path script = dir.resolve("pty_pump.py");
        try (var in = getClass().getResourceAsStream("/pty_pump.py")) {
            Files.copy(in, script);
        }
        pump = new ProcessBuilder("python3", script.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader r = new BufferedReader(new InputStreamReader(pump.getInputStream(), StandardCharsets.UTF_8));
        String slave = r.readLine();
        assertThat(slave).startsWith("/dev/pts/");
        return slave;
    }
}
