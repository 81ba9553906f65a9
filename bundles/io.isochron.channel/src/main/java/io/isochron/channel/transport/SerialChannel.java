package io.isochron.channel.transport;

import com.fazecast.jSerialComm.SerialPort;
import java.io.IOException;
import java.lang.System.Logger.Level;

/**
 * A channel read from a serial port or pty through jSerialComm: the host end of the guest's second
 * serial port ({@code -chardev pty}; QMP {@code query-chardev} gives the /dev/pts path) or of a
 * virtio-serial port. Reads use a timeout so that a stop is noticed without closing under a read.
 */
public final class SerialChannel extends Channel {
    private static final System.Logger LOG = System.getLogger("io.isochron.channel");
    private static final int BAUD = 115_200;

    private final String port;
    private volatile SerialPort serial;

    /**
     * @param port device path, e.g. {@code /dev/pts/3} or {@code /dev/ttyS1}
     */
    public SerialChannel(String port, ChannelConfig config, ChannelListener listener) {
        super(config, listener);
        if (port == null || port.isBlank()) {
            throw new IllegalArgumentException("serial port path must not be empty");
        }
        this.port = port;
        if (config.serialNativeDir() != null) {
            try {
                SerialNative.prepare(config.serialNativeDir());
            } catch (IOException e) {
                // Not fatal: jSerialComm then tries its default (temp dir), and opening reports if that fails too.
                LOG.log(Level.WARNING, "channel " + config.name() + ": " + e.getMessage());
            }
        }
    }

    @Override
    public String endpoint() {
        return "serial:" + port;
    }

    @Override
    protected void openTransport() throws IOException {
        SerialPort p;
        try {
            p = SerialPort.getCommPort(port);
        } catch (LinkageError e) {
            throw new IOException("jSerialComm native library unavailable: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new IOException("no such serial port: " + e.getMessage(), e);
        }
        // Frames are binary: raw 8N1 with no flow control (a pty ignores the speed).
        p.setComPortParameters(BAUD, 8, SerialPort.ONE_STOP_BIT, SerialPort.NO_PARITY);
        p.setFlowControl(SerialPort.FLOW_CONTROL_DISABLED);
        p.setComPortTimeouts(SerialPort.TIMEOUT_READ_SEMI_BLOCKING, config().readTimeoutMillis(), 0);
        if (!p.openPort()) {
            throw new IOException("cannot open (errno " + p.getLastErrorCode() + ")");
        }
        serial = p;
    }

    @Override
    protected int read(byte[] buf) throws IOException {
        SerialPort p = serial;
        if (p == null) {
            return -1;
        }
        int n = p.readBytes(buf, buf.length);
        if (n < 0) {
            // jSerialComm reports a vanished device (pty master closed, USB unplugged) as −1.
            throw new IOException("read failed (errno " + p.getLastErrorCode() + ")");
        }
        return n;
    }

    @Override
    protected void closeTransport() {
        SerialPort p = serial;
        serial = null;
        if (p != null) {
            p.closePort();
        }
    }
}
