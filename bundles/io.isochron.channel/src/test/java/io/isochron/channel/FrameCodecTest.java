package io.isochron.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

class FrameCodecTest {

    @Test
    void crcIsCastagnoli() {
        CRC32C c = new CRC32C();
        c.update("123456789".getBytes(StandardCharsets.US_ASCII));
        assertThat(c.getValue()).isEqualTo(0xE3069283L); // the standard CRC-32C check value
    }

    @Test
    void layoutMatchesTheDocument() {
        Frame f = new Frame().setHeader(0x01020304L, 0xA0B0C0D0L, 0x1122334455667788L);
        f.addTask(0x0A0B0C0D, Frame.STATE_IO_BLOCKED, 5, 60, 3, 1234, 1, 2, 3, 4, 5, 6);
        f.setCycle(1000, 7).addLatency(0xBEEF);
        byte[] b = FrameCodec.encode(f);
        assertThat(b).hasSize(24 + 2 + 36 + 10 + 2 + 4);
        assertThat(new String(b, 0, 4, StandardCharsets.US_ASCII)).isEqualTo("ISOC");
        assertThat(b[4]).isEqualTo((byte) 1);
        assertThat(b[5]).isEqualTo((byte) 1);
        assertThat(FrameCodec.u16(b, 6)).isEqualTo(2 + 36 + 10 + 2);
        assertThat(b[8]).isEqualTo((byte) 0x04); // little-endian vm id
        assertThat(FrameCodec.u32(b, 12)).isEqualTo(0xA0B0C0D0L);
        assertThat(FrameCodec.i64(b, 16)).isEqualTo(0x1122334455667788L);
        assertThat(FrameCodec.u16(b, 24)).isEqualTo(1);
        int t = 26;
        assertThat(FrameCodec.i32(b, t)).isEqualTo(0x0A0B0C0D);
        assertThat(new byte[] {b[t + 4], b[t + 5], b[t + 6], b[t + 7]}).containsExactly(2, 5, 60, 3);
        assertThat(FrameCodec.u32(b, t + 8)).isEqualTo(1234);
        assertThat(FrameCodec.u32(b, t + 12 + 4 * 5)).isEqualTo(6); // STORAGE is the sixth delta
        int c = t + 36;
        assertThat(FrameCodec.u32(b, c)).isEqualTo(1000);
        assertThat(FrameCodec.u32(b, c + 4)).isEqualTo(7);
        assertThat(FrameCodec.u16(b, c + 8)).isEqualTo(1);
        assertThat(FrameCodec.u16(b, c + 10)).isEqualTo(0xBEEF);
        CRC32C crc = new CRC32C();
        crc.update(b, 0, b.length - 4);
        assertThat(FrameCodec.u32(b, b.length - 4)).isEqualTo(crc.getValue());
    }

    @Test
    void roundTrip() {
        Frame in = TestFrames.sample(9, 42);
        byte[] b = FrameCodec.encode(in);
        Frame out = new Frame();
        assertThat(new FrameCodec().decode(b, 0, b.length, out)).isEqualTo(b.length);
        assertThat(out.sameContent(in)).as("%s vs %s", out, in).isTrue();
        assertThat(out.hint(1)).isEqualTo(4);
        assertThat(out.vcpu(1)).isEqualTo(1);
        assertThat(out.ioBytes(0, 5)).isEqualTo(1_000_000);
    }

    @Test
    void frameWithoutTasksOrCycleBlock() {
        Frame in = new Frame().setHeader(1, 1, 5);
        byte[] b = FrameCodec.encode(in);
        assertThat(b).hasSize(30);
        Frame out = new Frame();
        assertThat(new FrameCodec().decode(b, 0, b.length, out)).isEqualTo(30);
        assertThat(out.taskCount()).isZero();
        assertThat(out.hasCycle()).isFalse();
    }

    @Test
    void largestFrameFits() {
        Frame in = new Frame().setHeader(1, 1, 5);
        for (int i = 0; i < Frame.MAX_TASKS; i++) {
            in.addTask(i, 1, Frame.NO_HINT, 0, i % 4, i, i, i, i, i, i, i);
        }
        in.setCycle(Frame.MAX_CYCLE_MICROS, 0);
        for (int i = 0; i < Frame.MAX_SAMPLES; i++) {
            in.addLatency(i);
        }
        byte[] b = FrameCodec.encode(in);
        Frame out = new Frame();
        assertThat(new FrameCodec().decode(b, 0, b.length, out)).isEqualTo(b.length);
        assertThat(out.sameContent(in)).isTrue();
    }

    @Test
    void needsMoreUntilTheFrameIsComplete() {
        byte[] b = TestFrames.encoded(1, 1);
        FrameCodec codec = new FrameCodec();
        for (int n = 0; n < b.length; n++) {
            assertThat(codec.decode(b, 0, n, new Frame())).as("prefix of %d bytes", n).isEqualTo(FrameCodec.NEED_MORE);
        }
    }

    @Test
    void eachRuleHasItsReason() {
        assertReject(with(TestFrames.encoded(1, 1), 0, 'X'), RejectReason.MAGIC);
        assertReject(with(TestFrames.encoded(1, 1), 4, 2), RejectReason.VERSION);
        assertReject(with(TestFrames.encoded(1, 1), 5, 0x03), RejectReason.FLAGS);
        assertReject(with(TestFrames.encoded(1, 1), 6, 99), RejectReason.LENGTH);
        assertReject(with(TestFrames.encoded(1, 1), 30, 0x77), RejectReason.CRC);
        assertReject(FrameCodec.encode(new Frame().setHeader(1, 1, 1).addTask(1, 4, 255, 0, 0, 0)), RejectReason.COUNT);
        assertReject(FrameCodec.encode(new Frame().setHeader(1, 1, 1).addTask(1, 0, 7, 0, 0, 0)), RejectReason.COUNT);
        assertReject(FrameCodec.encode(new Frame().setHeader(1, 1, 1).addTask(1, 0, 2, 101, 0, 0)), RejectReason.COUNT);
        assertReject(FrameCodec.encode(new Frame().setHeader(1, 1, 1).setCycle(99, 0)), RejectReason.COUNT);
        assertReject(FrameCodec.encode(new Frame().setHeader(1, 1, 1).setCycle(10_000_001, 0)), RejectReason.COUNT);
        Frame many = new Frame().setHeader(1, 1, 1);
        for (int i = 0; i <= Frame.MAX_TASKS; i++) {
            many.addTask(i, 0, 255, 0, 0, 0);
        }
        assertReject(FrameCodec.encode(many), RejectReason.COUNT);
        Frame samples = new Frame().setHeader(1, 1, 1).setCycle(1000, 0);
        for (int i = 0; i <= Frame.MAX_SAMPLES; i++) {
            samples.addLatency(1);
        }
        assertReject(FrameCodec.encode(samples), RejectReason.COUNT);
    }

    @Test
    void corruptedLengthIsRejectedFromTheHeaderAlone() {
        // A length that claims 60,000 bytes must not make the reader wait for them: the counts inside
        // the real frame already contradict it.
        byte[] b = TestFrames.encoded(1, 1);
        b[6] = (byte) 0x60;
        b[7] = (byte) 0xEA;
        assertThat(FrameCodec.reason(new FrameCodec().decode(b, 0, b.length, new Frame()))).isEqualTo(RejectReason.LENGTH);
        byte[] plain = FrameCodec.encode(new Frame().setHeader(1, 1, 1).addTask(1, 0, 255, 0, 0, 0));
        plain[6] = (byte) 0x60;
        plain[7] = (byte) 0xEA;
        assertThat(FrameCodec.reason(new FrameCodec().decode(plain, 0, 26, new Frame()))).isEqualTo(RejectReason.LENGTH);
    }

    @Test
    void encoderRefusesWhatCannotBeFramed() {
        Frame f = new Frame().setHeader(1, 1, 1);
        for (int i = 0; i < 2000; i++) {
            f.addTask(i, 0, 255, 0, 0, 0);
        }
        assertThatThrownBy(() -> FrameCodec.encode(f)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("too large");
        assertThatThrownBy(() -> FrameCodec.reason(3)).isInstanceOf(IllegalArgumentException.class);
    }

    private static byte[] with(byte[] b, int index, int value) {
        b[index] = (byte) value;
        return b;
    }

    private static void assertReject(byte[] b, RejectReason reason) {
        int r = new FrameCodec().decode(b, 0, b.length, new Frame());
        assertThat(r).as("decode result").isNegative();
        assertThat(FrameCodec.reason(r)).isEqualTo(reason);
    }
}
