package io.isochron.channel;

/** Why the host dropped a frame; the names are the reasons of docs/protocol.md "Validation". */
public enum RejectReason {
    /** Bytes that are not the start of a frame (counted once per run of skipped bytes). */
    MAGIC,
    /** Version other than {@value Frame#VERSION}. */
    VERSION,
    /** A reserved flag bit is set. */
    FLAGS,
    /** Payload length disagrees with the block sizes, or the stream ended inside the frame. */
    LENGTH,
    /** CRC-32C mismatch. */
    CRC,
    /** A count or field value out of its range. */
    COUNT,
    /** The vm id is not the one configured for the channel. */
    VM,
    /** Over the channel's rate limit; the frame was valid but dropped. */
    RATE;

    /** @return the lower-case name used in docs/protocol.md and in logs */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
