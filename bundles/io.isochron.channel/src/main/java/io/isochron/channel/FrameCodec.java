package io.isochron.channel;

import java.util.zip.CRC32C;

/**
 * Encoder and decoder of the version-1 frame layout (docs/protocol.md). The decoder works on a
 * region of a byte array that starts at a candidate frame and reports how far it got, so a stream
 * reader can call it again as bytes arrive; it never throws for malformed input and allocates
 * nothing once the target {@link Frame}'s arrays are large enough.
 *
 * <p>An instance holds a CRC-32C state and is not thread-safe: one per reader thread.
 */
public final class FrameCodec {
    /** {@link #decode} result: the region ends before the frame could be judged. */
    public static final int NEED_MORE = 0;

    private final CRC32C crc = new CRC32C();

    /**
     * Decodes the frame that starts at {@code b[off]}.
     *
     * <p>Length fields are checked against the task and sample counts as soon as those arrive, so a
     * corrupted length or count is rejected without waiting for up to 64 KiB of a frame that is not
     * there (the next valid frame is not delayed).
     *
     * @param avail bytes available from {@code off}
     * @param into filled on success; unspecified content after a rejection
     * @return the frame's size in bytes (&gt; 0) if it is valid, {@link #NEED_MORE}, or
     *     {@code -(reason.ordinal() + 1)} if it is rejected (see {@link #reason})
     */
    public int decode(byte[] b, int off, int avail, Frame into) {
        if (avail < 4) {
            return prefixOfMagic(b, off, avail) ? NEED_MORE : reject(RejectReason.MAGIC);
        }
        if (i32(b, off) != Frame.MAGIC) {
            return reject(RejectReason.MAGIC);
        }
        if (avail < 8) {
            return avail > 4 && (b[off + 4] & 0xFF) != Frame.VERSION ? reject(RejectReason.VERSION)
                    : avail > 5 && (b[off + 5] & ~Frame.FLAG_CYCLE) != 0 ? reject(RejectReason.FLAGS) : NEED_MORE;
        }
        if ((b[off + 4] & 0xFF) != Frame.VERSION) {
            return reject(RejectReason.VERSION);
        }
        int flags = b[off + 5] & 0xFF;
        if ((flags & ~Frame.FLAG_CYCLE) != 0) {
            return reject(RejectReason.FLAGS);
        }
        boolean cycle = (flags & Frame.FLAG_CYCLE) != 0;
        int payload = u16(b, off + 6);
        int minimum = Frame.TASK_BLOCK_HEADER + (cycle ? Frame.CYCLE_BLOCK_HEADER : 0);
        if (payload < minimum) {
            return reject(RejectReason.LENGTH);
        }
        int p = off + Frame.HEADER_SIZE;
        if (avail < Frame.HEADER_SIZE + Frame.TASK_BLOCK_HEADER) {
            return NEED_MORE;
        }
        int tasks = u16(b, p);
        if (tasks > Frame.MAX_TASKS) {
            return reject(RejectReason.COUNT);
        }
        int taskBlock = Frame.TASK_BLOCK_HEADER + tasks * Frame.TASK_SIZE;
        int samples = 0;
        if (!cycle) {
            if (payload != taskBlock) {
                return reject(RejectReason.LENGTH);
            }
        } else {
            if (payload < taskBlock + Frame.CYCLE_BLOCK_HEADER) {
                return reject(RejectReason.LENGTH);
            }
            int countAt = Frame.HEADER_SIZE + taskBlock + 8;
            if (avail < countAt + 2) {
                return NEED_MORE;
            }
            samples = u16(b, off + countAt);
            if (samples > Frame.MAX_SAMPLES) {
                return reject(RejectReason.COUNT);
            }
            if (payload != taskBlock + Frame.CYCLE_BLOCK_HEADER + 2 * samples) {
                return reject(RejectReason.LENGTH);
            }
        }
        int size = Frame.HEADER_SIZE + payload + Frame.CRC_SIZE;
        if (avail < size) {
            return NEED_MORE;
        }
        crc.reset();
        crc.update(b, off, size - Frame.CRC_SIZE);
        if ((int) crc.getValue() != i32(b, off + size - Frame.CRC_SIZE)) {
            return reject(RejectReason.CRC);
        }
        return fill(b, off, cycle, tasks, samples, into) ? size : reject(RejectReason.COUNT);
    }

    /** @return the reason encoded in a negative {@link #decode} result */
    public static RejectReason reason(int result) {
        if (result >= 0) {
            throw new IllegalArgumentException("decode result " + result + " is not a rejection (allowed: < 0)");
        }
        return RejectReason.values()[-result - 1];
    }

    private static int reject(RejectReason r) {
        return -(r.ordinal() + 1);
    }

    /** Fills {@code f} from a frame whose sizes and CRC are already verified; false on a value out of range. */
    private static boolean fill(byte[] b, int off, boolean cycle, int tasks, int samples, Frame f) {
        f.decodedHeader(u32(b, off + 8), u32(b, off + 12), i64(b, off + 16), cycle);
        f.decodedTasks(tasks);
        long[] io = f.ioArray();
        int p = off + Frame.HEADER_SIZE + Frame.TASK_BLOCK_HEADER;
        for (int t = 0; t < tasks; t++, p += Frame.TASK_SIZE) {
            int state = b[p + 4] & 0xFF;
            int hint = b[p + 5] & 0xFF;
            int percent = b[p + 6] & 0xFF;
            if (state > Frame.STATE_SLEEPING || (hint > Frame.HINT_NONE && hint != Frame.NO_HINT) || percent > 100) {
                return false;
            }
            f.decodedTask(t, i32(b, p), b[p + 4], b[p + 5], b[p + 6], b[p + 7], u32(b, p + 8));
            for (int k = 0; k < Frame.COMPONENTS; k++) {
                io[t * Frame.COMPONENTS + k] = u32(b, p + 12 + 4 * k);
            }
        }
        if (cycle) {
            long cycleMicros = u32(b, p);
            if (cycleMicros < Frame.MIN_CYCLE_MICROS || cycleMicros > Frame.MAX_CYCLE_MICROS) {
                return false;
            }
            f.decodedCycle(cycleMicros, u32(b, p + 4), samples);
            int[] lat = f.latencies();
            p += Frame.CYCLE_BLOCK_HEADER;
            for (int i = 0; i < samples; i++, p += 2) {
                lat[i] = u16(b, p);
            }
        }
        return true;
    }

    /** @return the encoded size of {@code f} in bytes */
    public static int encodedSize(Frame f) {
        return Frame.HEADER_SIZE + payloadSize(f) + Frame.CRC_SIZE;
    }

    /** Encodes {@code f} into a new array. */
    public static byte[] encode(Frame f) {
        byte[] out = new byte[encodedSize(f)];
        encode(f, out, 0);
        return out;
    }

    /**
     * Encodes {@code f} at {@code out[off]} exactly as a guest must: field values are written as
     * stored (a test can encode out-of-range values the host must reject), sizes and CRC are computed.
     *
     * @return the number of bytes written
     * @throws IllegalArgumentException if the frame is too large for the format
     */
    public static int encode(Frame f, byte[] out, int off) {
        int payload = payloadSize(f);
        if (payload > Frame.MAX_PAYLOAD) {
            throw new IllegalArgumentException("frame payload of " + payload + " bytes is too large (allowed: at most "
                    + Frame.MAX_PAYLOAD + "; " + f.taskCount() + " tasks, " + f.sampleCount() + " samples)");
        }
        int size = Frame.HEADER_SIZE + payload + Frame.CRC_SIZE;
        if (out.length - off < size) {
            throw new IllegalArgumentException("buffer too small: " + (out.length - off) + " bytes free, frame needs " + size);
        }
        put32(out, off, Frame.MAGIC);
        out[off + 4] = Frame.VERSION;
        out[off + 5] = (byte) (f.hasCycle() ? Frame.FLAG_CYCLE : 0);
        put16(out, off + 6, payload);
        put32(out, off + 8, (int) f.vmId());
        put32(out, off + 12, (int) f.sequence());
        put64(out, off + 16, f.guestNanos());
        int p = off + Frame.HEADER_SIZE;
        put16(out, p, f.taskCount());
        p += Frame.TASK_BLOCK_HEADER;
        for (int t = 0; t < f.taskCount(); t++, p += Frame.TASK_SIZE) {
            put32(out, p, f.pid(t));
            out[p + 4] = f.rawState(t);
            out[p + 5] = f.rawHint(t);
            out[p + 6] = f.rawHintPercent(t);
            out[p + 7] = f.rawVcpu(t);
            put32(out, p + 8, (int) f.cpuMicros(t));
            for (int k = 0; k < Frame.COMPONENTS; k++) {
                put32(out, p + 12 + 4 * k, (int) f.ioBytes(t, k));
            }
        }
        if (f.hasCycle()) {
            put32(out, p, (int) f.cycleMicros());
            put32(out, p + 4, (int) f.overruns());
            put16(out, p + 8, f.sampleCount());
            p += Frame.CYCLE_BLOCK_HEADER;
            int[] lat = f.latencies();
            for (int i = 0; i < f.sampleCount(); i++, p += 2) {
                put16(out, p, lat[i]);
            }
        }
        CRC32C c = new CRC32C();
        c.update(out, off, p - off);
        put32(out, p, (int) c.getValue());
        return size;
    }

    private static int payloadSize(Frame f) {
        int n = Frame.TASK_BLOCK_HEADER + f.taskCount() * Frame.TASK_SIZE;
        return f.hasCycle() ? n + Frame.CYCLE_BLOCK_HEADER + 2 * f.sampleCount() : n;
    }

    /** @return true if the {@code n} (&lt; 4) bytes at {@code off} are the start of the magic */
    static boolean prefixOfMagic(byte[] b, int off, int n) {
        for (int i = 0; i < n; i++) {
            if ((b[off + i] & 0xFF) != ((Frame.MAGIC >>> (8 * i)) & 0xFF)) {
                return false;
            }
        }
        return true;
    }

    static int u16(byte[] b, int i) {
        return (b[i] & 0xFF) | (b[i + 1] & 0xFF) << 8;
    }

    static int i32(byte[] b, int i) {
        return (b[i] & 0xFF) | (b[i + 1] & 0xFF) << 8 | (b[i + 2] & 0xFF) << 16 | (b[i + 3] & 0xFF) << 24;
    }

    static long u32(byte[] b, int i) {
        return i32(b, i) & 0xFFFF_FFFFL;
    }

    static long i64(byte[] b, int i) {
        return u32(b, i) | (long) i32(b, i + 4) << 32;
    }

    private static void put16(byte[] b, int i, int v) {
        b[i] = (byte) v;
        b[i + 1] = (byte) (v >>> 8);
    }

    private static void put32(byte[] b, int i, int v) {
        put16(b, i, v);
        put16(b, i + 2, v >>> 16);
    }

    private static void put64(byte[] b, int i, long v) {
        put32(b, i, (int) v);
        put32(b, i + 4, (int) (v >>> 32));
    }
}
