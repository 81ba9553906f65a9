package io.isochron.mqtt.buffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32;

/**
 * Segments written by the previous version (format 1): records {@code [int length][int CRC-32 of the
 * body][body: long sequence, short topic length, topic, byte qos, payload]}, without a sync marker.
 * They are rewritten once, on open, in the current format. The old format cannot be resynchronised,
 * so a segment's conversion ends at its first damaged record; the bytes from there on are kept as they
 * are, and recovery counts the messages they held as lost.
 */
final class LegacyFormat {
    /** Where a segment is rewritten before it replaces the original. */
    static final String CONVERT_SUFFIX = ".convert";

    private static final int HEADER = 8;
    /** Sequence, topic length, qos. */
    private static final int MIN_BODY = 11;

    private LegacyFormat() {}

    /** Whether the segment open in {@code in} starts with an intact format 1 record of sequence {@code first}. */
    static boolean startsWithRecord(SegmentScanner in, long first) throws IOException {
        return recordLength(in, 0, first, new CRC32()) > 0;
    }

    /** Rewrites the format 1 segment {@code file}, open in {@code in}, in the current format (atomically). */
    static void convert(Path file, long first, SegmentScanner in, RecordCodec codec) throws IOException {
        Path converted = file.resolveSibling(file.getFileName() + CONVERT_SUFFIX);
        CRC32 crc = new CRC32();
        ByteBuffer record = ByteBuffer.allocate(64 * 1024);
        try (FileChannel out = FileChannel.open(converted, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            long from = 0;
            long to = 0;
            long sequence = first;
            for (int length; (length = recordLength(in, from, sequence, crc)) > 0; sequence++) {
                int bodyLength = length - 8; // the new body has no sequence
                if (record.capacity() < RecordCodec.HEADER + bodyLength) {
                    record = ByteBuffer.allocate(RecordCodec.HEADER + bodyLength);
                }
                record.clear();
                record.position(RecordCodec.HEADER);
                record.put(in.window().array(), in.index(from) + HEADER + 8, bodyLength);
                codec.seal(record, bodyLength, sequence, to);
                record.flip();
                while (record.hasRemaining()) {
                    out.write(record, to + record.position());
                }
                from += HEADER + length;
                to += RecordCodec.HEADER + bodyLength;
            }
            // What the old format could not read past stays as it is: recovery sees damage there.
            for (long done = 0, rest = in.size() - from; done < rest; ) {
                done += in.channel().transferTo(from + done, rest - done, out.position(to + done));
            }
            out.force(true);
        }
        try {
            Files.move(converted, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(converted, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** The body length of the intact format 1 record of {@code sequence} at {@code position}, or -1. */
    private static int recordLength(SegmentScanner in, long position, long sequence, CRC32 crc) throws IOException {
        if (!in.load(position, HEADER)) {
            return -1;
        }
        ByteBuffer w = in.window();
        int i = in.index(position);
        int length = w.getInt(i);
        int checksum = w.getInt(i + 4);
        if (length < MIN_BODY || length > in.size() - position - HEADER || length > RecordCodec.MAX_BODY
                || !in.load(position, HEADER + length)) {
            return -1;
        }
        w = in.window();
        i = in.index(position);
        crc.reset();
        crc.update(w.array(), i + HEADER, length);
        if ((int) crc.getValue() != checksum || w.getLong(i + HEADER) != sequence) {
            return -1;
        }
        int topicLength = Short.toUnsignedInt(w.getShort(i + HEADER + 8));
        if (topicLength > length - MIN_BODY) {
            return -1;
        }
        int qos = w.get(i + HEADER + 10 + topicLength);
        return qos >= 0 && qos <= 2 ? length : -1;
    }
}
