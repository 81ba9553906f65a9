package io.isochron.channel.transport;

import io.isochron.channel.Frame;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A listener that keeps copies of the frames and the state changes it is given. */
final class Recorder implements ChannelListener {
    final BlockingQueue<Frame> frames = new LinkedBlockingQueue<>();
    final List<ChannelState> states = new CopyOnWriteArrayList<>();
    final List<String> details = new CopyOnWriteArrayList<>();

    @Override
    public void onFrame(Frame frame) {
        frames.add(frame.copy());
    }

    @Override
    public void onState(Channel channel, ChannelState state, String detail) {
        states.add(state);
        details.add(detail);
    }

    Frame next() throws InterruptedException {
        Frame f = frames.poll(10, TimeUnit.SECONDS);
        if (f == null) {
            throw new AssertionError("no frame within 10 s; states " + states + " " + details);
        }
        return f;
    }

    void awaitState(ChannelState state) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!states.contains(state)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("state " + state + " not reached within 10 s; states " + states + " " + details);
            }
            Thread.sleep(10);
        }
    }

    int count(ChannelState state) {
        int n = 0;
        for (ChannelState s : states) {
            n += s == state ? 1 : 0;
        }
        return n;
    }
}
