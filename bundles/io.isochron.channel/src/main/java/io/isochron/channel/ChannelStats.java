package io.isochron.channel;

import java.util.Arrays;

/**
 * Counters of one channel, as a snapshot: frames delivered, bytes read, bytes skipped while
 * searching for a frame, frames lost (sequence gaps), guest restarts (sequence went backwards),
 * transport (re)connections, and rejections per {@link RejectReason}.
 */
public final class ChannelStats {
    private final long frames;
    private final long bytes;
    private final long skippedBytes;
    private final long lost;
    private final long restarts;
    private final long connects;
    private final long[] rejected;

    ChannelStats(long frames, long bytes, long skippedBytes, long lost, long restarts, long connects, long[] rejected) {
        this.frames = frames;
        this.bytes = bytes;
        this.skippedBytes = skippedBytes;
        this.lost = lost;
        this.restarts = restarts;
        this.connects = connects;
        this.rejected = rejected;
    }

    /** @return valid frames delivered to the listener */
    public long frames() {
        return frames;
    }

    /** @return bytes read from the transport */
    public long bytes() {
        return bytes;
    }

    /** @return bytes that were not part of a delivered or rejected-but-framed frame (garbage) */
    public long skippedBytes() {
        return skippedBytes;
    }

    /** @return frames the guest sent that never arrived, from sequence gaps */
    public long lost() {
        return lost;
    }

    /** @return times the sequence went backwards or repeated (agent or guest restarted) */
    public long restarts() {
        return restarts;
    }

    /** @return times the transport was opened (1 + reconnects) */
    public long connects() {
        return connects;
    }

    public long rejected(RejectReason reason) {
        return rejected[reason.ordinal()];
    }

    public long rejectedTotal() {
        long sum = 0;
        for (long r : rejected) {
            sum += r;
        }
        return sum;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("frames=").append(frames).append(" bytes=").append(bytes)
                .append(" skipped=").append(skippedBytes).append(" lost=").append(lost)
                .append(" restarts=").append(restarts).append(" connects=").append(connects).append(" rejected{");
        String sep = "";
        for (RejectReason r : RejectReason.values()) {
            if (rejected[r.ordinal()] != 0) {
                sb.append(sep).append(r.label()).append('=').append(rejected[r.ordinal()]);
                sep = " ";
            }
        }
        return sb.append('}').toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ChannelStats s && frames == s.frames && bytes == s.bytes && skippedBytes == s.skippedBytes
                && lost == s.lost && restarts == s.restarts && connects == s.connects
                && Arrays.equals(rejected, s.rejected);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(frames) * 31 + Arrays.hashCode(rejected);
    }
}
