package io.isochron.channel.transport;

/** Life cycle of a channel's transport, reported to the listener on every change. */
public enum ChannelState {
    /** Not yet started. */
    NEW,
    /** The transport is open and being read. */
    OPEN,
    /** The transport could not be opened; retrying with back-off. */
    UNAVAILABLE,
    /** The transport was open and dropped (end of stream or error); reopening. */
    CLOSED,
    /** {@link Channel#close()} was called; the reader thread has ended. */
    STOPPED
}
