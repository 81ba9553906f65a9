package io.isochron.channel.transport;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * A channel read from a unix domain socket that the other side listens on, e.g. QEMU's
 * {@code -chardev socket,id=pv0,path=/run/isochron/vm1.sock,server=on,wait=off} wired to the guest's
 * serial or virtio-serial port. The host connects as the client and reconnects when QEMU restarts.
 */
public final class UnixSocketChannel extends Channel {
    private final Path path;
    private volatile SocketChannel socket;
    private ByteBuffer view;
    private byte[] viewOf;

    public UnixSocketChannel(Path path, ChannelConfig config, ChannelListener listener) {
        super(config, listener);
        this.path = path;
    }

    @Override
    public String endpoint() {
        return "unix:" + path;
    }

    @Override
    protected void openTransport() throws IOException {
        SocketChannel s = SocketChannel.open(StandardProtocolFamily.UNIX);
        socket = s;
        s.connect(UnixDomainSocketAddress.of(path));
    }

    @Override
    protected int read(byte[] buf) throws IOException {
        if (viewOf != buf) {
            view = ByteBuffer.wrap(buf);
            viewOf = buf;
        }
        view.clear();
        SocketChannel s = socket;
        if (s == null) {
            return -1;
        }
        return s.read(view);
    }

    @Override
    protected void closeTransport() {
        SocketChannel s = socket;
        socket = null;
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                // nothing left to release
            }
        }
    }
}
