package io.isochron.channel.transport;

import io.isochron.channel.FrameReader;
import java.nio.file.Path;

/**
 * Settings of one channel. Immutable; derive variants with the {@code with...} methods.
 *
 * @param name short name used in logs and thread names (usually the VM's name)
 * @param vmId the vm id the guest was given (0 .. 2^32−1), or {@link FrameReader#ANY_VM}
 * @param ratePerSecond frames accepted per second on average (docs/protocol.md: default 50)
 * @param burst frames accepted at once after a quiet period
 * @param reconnectMinMillis first wait before reopening a transport that failed or dropped
 * @param reconnectMaxMillis the wait doubles up to this while the transport stays unavailable
 * @param readTimeoutMillis serial ports: how long one read waits, so a stop is noticed
 * @param serialNativeDir where jSerialComm's native library is unpacked (and loaded from), for
 *     hosts whose temp dir is mounted noexec; null keeps jSerialComm's default (temp dir)
 */
public record ChannelConfig(String name, long vmId, int ratePerSecond, int burst, long reconnectMinMillis,
        long reconnectMaxMillis, int readTimeoutMillis, Path serialNativeDir) {

    public static final int DEFAULT_RATE = 50;

    public ChannelConfig {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("channel name must not be empty");
        }
        if (vmId != FrameReader.ANY_VM && (vmId < 0 || vmId > 0xFFFF_FFFFL)) {
            throw new IllegalArgumentException("vm id must be 0..4294967295, got " + vmId);
        }
        if (ratePerSecond < 1 || burst < 1) {
            throw new IllegalArgumentException("rate limit must be >= 1 frame/s with a burst >= 1, got "
                    + ratePerSecond + "/s burst " + burst);
        }
        if (reconnectMinMillis < 1 || reconnectMaxMillis < reconnectMinMillis) {
            throw new IllegalArgumentException("reconnect wait must satisfy 1 <= min <= max ms, got "
                    + reconnectMinMillis + ".." + reconnectMaxMillis);
        }
        if (readTimeoutMillis < 1) {
            throw new IllegalArgumentException("read timeout must be >= 1 ms, got " + readTimeoutMillis);
        }
    }

    /** Defaults: 50 frames/s with a burst of 50, reconnect 200 ms doubling to 5 s, 200 ms serial reads. */
    public static ChannelConfig of(String name, long vmId) {
        return new ChannelConfig(name, vmId, DEFAULT_RATE, DEFAULT_RATE, 200, 5_000, 200, null);
    }

    public ChannelConfig withRate(int perSecond, int burst) {
        return new ChannelConfig(name, vmId, perSecond, burst, reconnectMinMillis, reconnectMaxMillis,
                readTimeoutMillis, serialNativeDir);
    }

    public ChannelConfig withReconnect(long minMillis, long maxMillis) {
        return new ChannelConfig(name, vmId, ratePerSecond, burst, minMillis, maxMillis, readTimeoutMillis,
                serialNativeDir);
    }

    public ChannelConfig withSerialNativeDir(Path dir) {
        return new ChannelConfig(name, vmId, ratePerSecond, burst, reconnectMinMillis, reconnectMaxMillis,
                readTimeoutMillis, dir);
    }
}
