package io.isochron.channel.transport;

import io.isochron.channel.ChannelStats;
import io.isochron.channel.Frame;
import io.isochron.channel.FrameReader;
import io.isochron.channel.RateLimiter;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.concurrent.TimeUnit;

/**
 * One guest's channel: a transport (unix socket or serial port) read by a thread of its own,
 * feeding a {@link FrameReader}, with its own rate limit. It keeps reopening the transport when it
 * cannot be opened or drops, with a doubling back-off; each state change is logged and reported
 * once, not every retry. {@link #close()} stops the thread and returns when it has ended.
 */
public abstract class Channel implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("io.isochron.channel");
    private static final long LISTENER_ERROR_LOG_NANOS = TimeUnit.MINUTES.toNanos(1);
    private static final long DROP_LOG_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final ChannelConfig config;
    private final ChannelListener listener;
    private final FrameReader reader;
    private final Thread thread;
    private final byte[] chunk = new byte[8192];
    private final io.isochron.channel.FrameListener sink = this::deliver; // one instance: feeding allocates nothing
    private volatile boolean running;
    private volatile ChannelState state = ChannelState.NEW;
    private String stateDetail = "";
    private long listenerErrors;
    private long listenerErrorLogged = Long.MIN_VALUE;
    private long dropLogged = Long.MIN_VALUE;
    private long dropsNotLogged;
    private boolean reopenNotLogged;

    protected Channel(ChannelConfig config, ChannelListener listener) {
        this.config = config;
        this.listener = listener;
        this.reader = new FrameReader(config.vmId(),
                new RateLimiter(config.ratePerSecond(), config.burst(), System::nanoTime));
        this.thread = new Thread(this::run, "isochron-channel-" + config.name());
        this.thread.setDaemon(true);
    }

    /** Starts the reader thread; the transport is opened on it. */
    public synchronized Channel start() {
        if (thread.getState() != Thread.State.NEW) {
            throw new IllegalStateException("channel " + config.name() + " was already started");
        }
        running = true;
        thread.start();
        return this;
    }

    /** Stops reading, closes the transport and waits (up to 5 s) for the reader thread to end. */
    @Override
    public void close() {
        running = false;
        closeTransport();
        thread.interrupt();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            LOG.log(Level.WARNING, "channel " + config.name() + ": reader thread did not stop within 5 s");
        }
    }

    public String name() {
        return config.name();
    }

    public ChannelConfig config() {
        return config;
    }

    public ChannelState state() {
        return state;
    }

    /** @return the channel's counters now (any thread) */
    public ChannelStats stats() {
        return reader.stats();
    }

    /** @return the endpoint, e.g. {@code unix:/run/vm1.sock} */
    public abstract String endpoint();

    /** Opens the transport; called on the reader thread. */
    protected abstract void openTransport() throws IOException;

    /**
     * Reads into {@code buf}; blocks at most until data arrives, a timeout passes or the transport is
     * closed. @return bytes read, 0 on a timeout, −1 at the end of the stream
     */
    protected abstract int read(byte[] buf) throws IOException;

    /** Closes the transport; must be safe to call from any thread, repeatedly, and unblock {@link #read}. */
    protected abstract void closeTransport();

    private void run() {
        long wait = config.reconnectMinMillis();
        while (running) {
            try {
                openTransport();
            } catch (IOException | RuntimeException e) {
                closeTransport();
                changeState(ChannelState.UNAVAILABLE, endpoint() + ": " + message(e) + " (retrying, back-off up to "
                        + config.reconnectMaxMillis() + " ms)");
                pause(wait);
                wait = Math.min(wait * 2, config.reconnectMaxMillis());
                continue;
            }
            wait = config.reconnectMinMillis();
            reader.countConnect();
            changeState(ChannelState.OPEN, endpoint());
            String cause = readUntilClosed();
            closeTransport();
            reader.endOfStream(sink);
            if (running) {
                changeState(ChannelState.CLOSED, endpoint() + ": " + cause + " (reopening)");
                pause(wait);
            }
        }
        changeState(ChannelState.STOPPED, endpoint() + ": " + reader.stats());
    }

    private String readUntilClosed() {
        try {
            while (running) {
                int n = read(chunk);
                if (n < 0) {
                    return "end of stream";
                }
                if (n > 0) {
                    reader.feed(chunk, 0, n, sink);
                }
            }
            return "stopped";
        } catch (IOException | RuntimeException e) {
            return running ? message(e) : "stopped";
        }
    }

    private void deliver(Frame frame) {
        try {
            listener.onFrame(frame);
        } catch (RuntimeException e) {
            // A faulty listener must not kill the channel; report it at most once a minute.
            listenerErrors++;
            long now = System.nanoTime();
            if (listenerErrorLogged == Long.MIN_VALUE || now - listenerErrorLogged >= LISTENER_ERROR_LOG_NANOS) {
                listenerErrorLogged = now;
                LOG.log(Level.WARNING, "channel " + config.name() + ": frame listener failed (" + listenerErrors
                        + " times so far): " + message(e), e);
            }
        }
    }

    private void changeState(ChannelState next, String detail) {
        if (next == state && detail.equals(stateDetail)) {
            return;
        }
        boolean sameState = next == state;
        state = next;
        stateDetail = detail;
        if (!sameState) {
            if (shouldLog(next)) {
                Level level = next == ChannelState.UNAVAILABLE || next == ChannelState.CLOSED ? Level.WARNING : Level.INFO;
                String more = next == ChannelState.CLOSED && dropsNotLogged > 0
                        ? " (" + dropsNotLogged + " more drops since the last report)" : "";
                if (next == ChannelState.CLOSED) {
                    dropsNotLogged = 0;
                }
                LOG.log(level, "channel " + config.name() + " " + next.name().toLowerCase(java.util.Locale.ROOT) + ": "
                        + detail + more);
            }
            try {
                listener.onState(this, next, detail);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "channel " + config.name() + ": state listener failed: " + message(e), e);
            }
        }
    }

    /** A transport that keeps dropping right after it opens logs one drop (and reopen) a minute. */
    private boolean shouldLog(ChannelState next) {
        if (next == ChannelState.CLOSED) {
            long now = System.nanoTime();
            if (dropLogged != Long.MIN_VALUE && now - dropLogged < DROP_LOG_NANOS) {
                dropsNotLogged++;
                reopenNotLogged = true;
                return false;
            }
            dropLogged = now;
            reopenNotLogged = false;
        } else if (next == ChannelState.OPEN && reopenNotLogged) {
            return false;
        }
        return true;
    }

    private void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            // close() interrupts to end the wait; the loop re-checks running.
        }
    }

    static String message(Throwable e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }
}
