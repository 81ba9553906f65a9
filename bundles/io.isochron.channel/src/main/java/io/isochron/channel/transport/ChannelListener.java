package io.isochron.channel.transport;

import io.isochron.channel.FrameListener;

/** What a channel reports: its frames (see {@link FrameListener}) and its state changes. */
public interface ChannelListener extends FrameListener {
    /**
     * The transport changed state; called once per change (a transport that keeps failing to
     * open is reported once, not on every retry), on the reader thread.
     *
     * @param detail one line: the endpoint when open, the cause otherwise
     */
    default void onState(Channel channel, ChannelState state, String detail) {
    }
}
