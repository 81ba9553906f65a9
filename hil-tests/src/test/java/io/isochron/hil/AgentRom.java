package io.isochron.hil;

import io.isochron.channel.Frame;
import io.isochron.channel.FrameCodec;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.List;

/**
 * The smallest guest with an agent: a 64 KiB x86 firmware image (QEMU {@code -bios}) whose one vCPU
 * writes the frames it was built with, in turn and for ever, to its first serial port (COM1, the
 * paravirtual channel when QEMU has {@code -serial chardev:pv0}), about ten a second, and spins in
 * between: always runnable, like a guest whose run queue is never empty. Its frames are real frames
 * of the channel's format, built with the host's own encoder; when the list starts again, their
 * sequence goes back, which the host counts as an agent restart.
 */
final class AgentRom {
    private static final int SIZE = 64 * 1024;
    private static final int RESET_VECTOR = SIZE - 16;
    private static final int TABLE = 0x100;
    /** Time-stamp counter ticks between frames: ~0.1 s at 2.5 GHz (QEMU's TCG counts the host's TSC). */
    private static final int TICKS_BETWEEN_FRAMES = 250_000_000;

    private AgentRom() {}

    /**
     * An image that sends, for each phase, {@code framesPerPhase} frames of one running task hinting
     * that category (0 GPU, 1 RAM, 2 CACHE, 3 ETHERNET, 4 BUS, 5 STORAGE, 6 NONE) at 80 %.
     */
    static byte[] image(int framesPerPhase, int... hints) {
        ByteArrayOutputStream frames = new ByteArrayOutputStream();
        int sequence = 0;
        for (int hint : hints) {
            for (int i = 0; i < framesPerPhase; i++, sequence++) {
                Frame f = new Frame().setHeader(1, sequence, sequence * 100_000_000L)
                        .addTask(1, Frame.STATE_RUNNING, hint, 80, 0, 100_000);
                byte[] b = FrameCodec.encode(f);
                frames.write(b.length & 0xFF);
                frames.write(b.length >>> 8);
                frames.writeBytes(b);
            }
        }
        return image(frames.toByteArray(), sequence);
    }

    private static byte[] image(byte[] table, int count) {
        if (TABLE + table.length > RESET_VECTOR || count > 0xFFFF) {
            throw new IllegalArgumentException("frames do not fit in the image: " + table.length + " bytes");
        }
        byte[] rom = new byte[SIZE];
        Arrays.fill(rom, (byte) 0xF4); // hlt
        List<Integer> code = List.of(
                0xFA, // cli
                0x0E, 0x1F, // push cs; pop ds: the frames are read from the image
                0xFC, // cld
                // outer: start the list again
                0xBE, TABLE & 0xFF, TABLE >>> 8, // mov si, TABLE
                0xBB, count & 0xFF, count >>> 8, // mov bx, count
                // next: one frame (a 16-bit length, then its bytes)
                0xAD, // lodsw
                0x89, 0xC1, // mov cx, ax
                // byte: wait until the UART can take a byte, then give it one
                0xBA, 0xFD, 0x03, // mov dx, 0x3FD (line status)
                0xEC, // in al, dx
                0xA8, 0x20, // test al, 0x20 (transmit holding register empty)
                0x74, 0xFB, // jz -5 (in al, dx)
                0xBA, 0xF8, 0x03, // mov dx, 0x3F8 (transmit)
                0xAC, // lodsb
                0xEE, // out dx, al
                0xE2, 0xF1, // loop -15 (byte)
                // pause: spin until the time-stamp counter has advanced enough
                0x0F, 0x31, // rdtsc
                0x66, 0x89, 0xC7, // mov edi, eax
                0x0F, 0x31, // rdtsc
                0x66, 0x29, 0xF8, // sub eax, edi
                0x66, 0x3D, TICKS_BETWEEN_FRAMES & 0xFF, (TICKS_BETWEEN_FRAMES >>> 8) & 0xFF,
                (TICKS_BETWEEN_FRAMES >>> 16) & 0xFF, TICKS_BETWEEN_FRAMES >>> 24, // cmp eax, ticks
                0x72, 0xF3, // jb -13 (rdtsc)
                0x4B, // dec bx
                0x75, 0xD9, // jnz -39 (next)
                0xEB, 0xD1); // jmp -47 (outer)
        for (int i = 0; i < code.size(); i++) {
            rom[i] = (byte) (int) code.get(i);
        }
        System.arraycopy(table, 0, rom, TABLE, table.length);
        // reset vector: jmp far F000:0000
        byte[] reset = {(byte) 0xEA, 0x00, 0x00, 0x00, (byte) 0xF0};
        System.arraycopy(reset, 0, rom, RESET_VECTOR, reset.length);
        return rom;
    }
}
