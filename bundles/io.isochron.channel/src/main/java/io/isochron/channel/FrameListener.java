package io.isochron.channel;

/** Receives the valid frames of a channel, on the channel's reader thread. */
@FunctionalInterface
public interface FrameListener {
    /**
     * A frame that passed validation, the vm check and the rate limit.
     *
     * @param frame reused for the next frame as soon as this call returns: read what is needed
     *     (or {@link Frame#copy()} it) before returning
     */
    void onFrame(Frame frame);
}
