package io.isochron.mqtt.buffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Reads segment files for recovery through one sliding window, so that a file of any size (also a
 * stray one that only carries a segment's name) needs no more memory than its largest record.
 */
final class SegmentScanner {
    private static final int INITIAL_WINDOW = 64 * 1024;

    private final RecordCodec codec;
    private ByteBuffer window = ByteBuffer.allocate(INITIAL_WINDOW);
    private FileChannel channel;
    private long size;
    private long windowStart;
    private long windowEnd;
    private long sequence;
    private int recordSize;

    SegmentScanner(RecordCodec codec) {
        this.codec = codec;
    }

    void open(FileChannel ch) throws IOException {
        channel = ch;
        size = ch.size();
        windowStart = 0;
        windowEnd = 0;
    }

    FileChannel channel() {
        return channel;
    }

    long size() {
        return size;
    }

    /** Whether a whole, intact record starts at {@code position}; if so see {@link #sequence()}, {@link #recordSize()}. */
    boolean recordAt(long position) throws IOException {
        if (!load(position, RecordCodec.HEADER) || !codec.validHeader(window, index(position), position)) {
            return false;
        }
        int bodyLength = RecordCodec.bodyLength(window, index(position));
        if (bodyLength > size - position - RecordCodec.HEADER
                || !load(position, RecordCodec.HEADER + bodyLength)
                || !codec.validBody(window, index(position))) {
            return false;
        }
        sequence = RecordCodec.sequence(window, index(position));
        recordSize = RecordCodec.HEADER + bodyLength;
        return true;
    }

    long sequence() {
        return sequence;
    }

    int recordSize() {
        return recordSize;
    }

    /** The first position at or after {@code from} where the sync marker stands, or -1. */
    long findSync(long from) throws IOException {
        for (long p = from; p <= size - 4; p++) {
            if (!load(p, 4)) {
                return -1;
            }
            if (window.getInt(index(p)) == RecordCodec.SYNC) {
                return p;
            }
        }
        return -1;
    }

    /** Makes {@code [position, position + length)} readable in {@link #window()}; false if the file ends before. */
    boolean load(long position, int length) throws IOException {
        if (position >= windowStart && position + length <= windowEnd) {
            return true;
        }
        if (length > size - position) {
            return false;
        }
        if (length > window.capacity()) {
            window = ByteBuffer.allocate((int) Math.min(Math.max(length, 2L * window.capacity()), Integer.MAX_VALUE - 8));
        }
        window.clear();
        windowStart = position;
        while (window.hasRemaining()) {
            if (channel.read(window, position + window.position()) < 0) {
                break;
            }
        }
        windowEnd = position + window.position();
        return windowEnd - position >= length;
    }

    ByteBuffer window() {
        return window;
    }

    /** Where file position {@code position} (loaded) is in {@link #window()}. */
    int index(long position) {
        return (int) (position - windowStart);
    }
}
