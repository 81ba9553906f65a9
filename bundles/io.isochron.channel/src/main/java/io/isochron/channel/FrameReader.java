package io.isochron.channel;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The stream side of one channel: takes bytes as they arrive from a transport, finds frames by
 * their magic, validates them, tracks the guest's sequence and applies the channel's rate limit.
 * Malformed input never throws; it is counted per {@link RejectReason} and the reader resumes at
 * the next magic (after a rejection it retries one byte after the rejected frame's start, so a
 * valid frame inside a damaged one is still found).
 *
 * <p>A frame cut short by up to four bytes can be completed by the first bytes of the next frame's
 * magic when they happen to equal the missing ones (a 1-in-256 chance when one byte is missing):
 * it is then the sender's frame, exactly, and is delivered. The next frame's magic then begins
 * inside the accepted frame, so when the bytes after an accepted frame are not a magic the search
 * starts again in that frame's last four bytes rather than losing the next frame.
 *
 * <p>{@link #feed} and {@link #endOfStream} are called by one thread (the channel's reader);
 * {@link #stats()} may be called from any thread. Once the reused {@link Frame}'s arrays have grown,
 * reading allocates nothing.
 */
public final class FrameReader {
    /** Expected vm id meaning "accept any" (tests, tools); a bridge channel always names its VM. */
    public static final long ANY_VM = -1;

    private static final int FRAMES = 0;
    private static final int BYTES = 1;
    private static final int SKIPPED = 2;
    private static final int LOST = 3;
    private static final int RESTARTS = 4;
    private static final int CONNECTS = 5;
    private static final int REJECTED = 6;
    private static final RejectReason[] REASONS = RejectReason.values();

    private final long expectedVm;
    private final RateLimiter limiter;
    private final FrameCodec codec = new FrameCodec();
    private final Frame frame = new Frame();
    private final byte[] buf = new byte[Frame.MAX_FRAME];
    private final AtomicLongArray counters = new AtomicLongArray(REJECTED + REASONS.length);
    private int start;
    private int end;
    /** Bytes before {@code start} that end a just-accepted frame and may hold the next magic's start. */
    private int lookBack;
    /** Inside a run of skipped bytes that is already accounted for (no new MAGIC count). */
    private boolean skipping;
    private boolean havePrevious;
    private long previousSequence;
    private long previousNanos;

    /**
     * @param expectedVm the vm id this channel belongs to (0 .. 2^32−1), or {@link #ANY_VM}
     * @param limiter the channel's own rate limit, or null for none
     */
    public FrameReader(long expectedVm, RateLimiter limiter) {
        if (expectedVm != ANY_VM && (expectedVm < 0 || expectedVm > 0xFFFF_FFFFL)) {
            throw new IllegalArgumentException("vm id must be 0..4294967295, got " + expectedVm);
        }
        this.expectedVm = expectedVm;
        this.limiter = limiter;
    }

    /** Processes {@code len} bytes from {@code src[off]}, calling {@code listener} for each valid frame. */
    public void feed(byte[] src, int off, int len, FrameListener listener) {
        counters.getAndAdd(BYTES, len);
        while (len > 0) {
            if (end == buf.length) {
                compact();
            }
            int n = Math.min(len, buf.length - end);
            System.arraycopy(src, off, buf, end, n);
            end += n;
            off += n;
            len -= n;
            parse(listener);
            if (start == end) {
                keepOnlyLookBack();
            }
        }
    }

    /**
     * The transport's stream ended (or was closed). A frame still waiting for bytes is rejected
     * ({@code length}) and the rest is searched again, so a complete frame behind a cut-off one is
     * still delivered. The sequence tracking is kept: frames lost while the transport was down show
     * as a gap.
     */
    public void endOfStream(FrameListener listener) {
        parse(listener);
        while (start < end) {
            if (FrameCodec.prefixOfMagic(buf, start, Math.min(4, end - start))) {
                reject(RejectReason.LENGTH);
                skipping = true;
            }
            counters.getAndIncrement(SKIPPED);
            start++;
            parse(listener);
        }
        start = end = lookBack = 0;
        skipping = false;
    }

    /** Counts one opening of the transport (shown in {@link ChannelStats#connects()}). */
    public void countConnect() {
        counters.getAndIncrement(CONNECTS);
    }

    /** @return a consistent-enough snapshot of the counters (each counter is exact, not the set) */
    public ChannelStats stats() {
        long[] rejected = new long[REASONS.length];
        for (int i = 0; i < rejected.length; i++) {
            rejected[i] = counters.get(REJECTED + i);
        }
        return new ChannelStats(counters.get(FRAMES), counters.get(BYTES), counters.get(SKIPPED), counters.get(LOST),
                counters.get(RESTARTS), counters.get(CONNECTS), rejected);
    }

    public long expectedVm() {
        return expectedVm;
    }

    private void parse(FrameListener listener) {
        while (start < end) {
            int at = findMagic(start);
            if (lookBack > 0) {
                // First look at the bytes after an accepted frame: only now may the next magic overlap it.
                int borrowed = at > start ? findMagic(start - lookBack) : start;
                if (borrowed < start) {
                    start = at = borrowed;
                }
                lookBack = 0;
            }
            if (at > start) {
                counters.getAndAdd(SKIPPED, at - start);
                if (!skipping) {
                    reject(RejectReason.MAGIC);
                    skipping = true;
                }
                start = at;
                if (start == end) {
                    return;
                }
            }
            int r = codec.decode(buf, start, end - start, frame);
            if (r == FrameCodec.NEED_MORE) {
                return;
            }
            if (r < 0) {
                // Counted once; the bytes scanned after it belong to the same fault.
                reject(FrameCodec.reason(r));
                skipping = true;
                counters.getAndIncrement(SKIPPED);
                start++;
                continue;
            }
            start += r;
            lookBack = Math.min(r - 1, Integer.BYTES);
            skipping = false;
            accept(listener);
        }
    }

    /** @return the first index ≥ from where the magic (or, at the end of the data, a prefix of it) starts */
    private int findMagic(int from) {
        for (int i = from; i < end; i++) {
            if (buf[i] == 'I' && FrameCodec.prefixOfMagic(buf, i, Math.min(4, end - i))) {
                return i;
            }
        }
        return end;
    }

    private void accept(FrameListener listener) {
        if (expectedVm != ANY_VM && frame.vmId() != expectedVm) {
            reject(RejectReason.VM);
            return;
        }
        long sequence = frame.sequence();
        long lost = 0;
        long interval = 0;
        if (havePrevious) {
            long step = (sequence - previousSequence) & 0xFFFF_FFFFL;
            if (step == 0 || step >= 1L << 31) {
                counters.getAndIncrement(RESTARTS); // a new agent starts counting afresh
            } else if (step > 1) {
                lost = step - 1;
                counters.getAndAdd(LOST, lost);
            } else if (frame.guestNanos() > previousNanos) {
                interval = frame.guestNanos() - previousNanos;
            }
        }
        havePrevious = true;
        previousSequence = sequence;
        previousNanos = frame.guestNanos();
        frame.tracking(interval, lost);
        if (limiter != null && !limiter.tryAcquire()) {
            reject(RejectReason.RATE);
            return;
        }
        counters.getAndIncrement(FRAMES);
        listener.onFrame(frame);
    }

    private void reject(RejectReason reason) {
        counters.getAndIncrement(REJECTED + reason.ordinal());
    }

    /** Makes room at the end of the buffer, keeping the look-back bytes unless only they stand in the way. */
    private void compact() {
        int from = start - lookBack;
        if (from == 0) {
            from = start;
            lookBack = 0;
        }
        System.arraycopy(buf, from, buf, 0, end - from);
        end -= from;
        start -= from;
    }

    /** Everything is consumed: restarts the buffer holding only the look-back bytes. */
    private void keepOnlyLookBack() {
        System.arraycopy(buf, start - lookBack, buf, 0, lookBack);
        start = end = lookBack;
    }
}
