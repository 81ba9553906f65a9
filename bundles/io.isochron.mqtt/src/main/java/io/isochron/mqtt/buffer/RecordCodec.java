package io.isochron.mqtt.buffer;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * One record of a segment file (format 2) and its checks:
 *
 * <pre>
 * offset size
 *  0      4   sync marker 0xFE4951B2 (0xFE never occurs in UTF-8)
 *  4      4   body length
 *  8      8   sequence
 * 16      4   CRC-32C of bytes 0..15 followed by the record's position in its file (8 bytes)
 * 20      4   CRC-32C of the body
 * 24      n   body: [short topic length][topic, UTF-8][byte qos][payload]
 * </pre>
 *
 * <p>Because the header checksum covers where the record lies, a record's bytes validate only at
 * that place: a payload that carries a copy of a record, or a file copied under another name, is
 * not taken for a record when recovery scans forward after damage.
 *
 * <p>Not thread-safe (one checksum engine); the queue uses it under its own lock.
 */
final class RecordCodec {
    static final int SYNC = 0xFE4951B2;
    static final int HEADER = 24;
    /** Topic length and qos. */
    static final int BODY_OVERHEAD = 3;
    static final int MIN_RECORD = HEADER + BODY_OVERHEAD;
    /** Keeps a whole record addressable in one array. */
    static final int MAX_BODY = Integer.MAX_VALUE - HEADER - 64;

    private static final int LENGTH = 4;
    private static final int SEQUENCE = 8;
    private static final int HEADER_CRC = 16;
    private static final int BODY_CRC = 20;

    private final CRC32C crc = new CRC32C();
    private final byte[] positionBytes = new byte[8];

    /** Bytes a record takes, or -1 if its body would exceed {@link #MAX_BODY}. */
    static long recordSize(int topicBytes, int payloadBytes) {
        long body = (long) BODY_OVERHEAD + topicBytes + payloadBytes;
        return body > MAX_BODY ? -1 : HEADER + body;
    }

    /**
     * Writes the body of a message at {@code b[HEADER..]}; {@code b} must have room for the record.
     *
     * @return the body length
     */
    static int putBody(ByteBuffer b, byte[] topic, int qos, byte[] payload) {
        b.position(HEADER);
        b.putShort((short) topic.length).put(topic).put((byte) qos).put(payload);
        return b.position() - HEADER;
    }

    /** Fills in the header of the record whose body is at {@code b[HEADER..]}, to be stored at {@code position}. */
    void seal(ByteBuffer b, int bodyLength, long sequence, long position) {
        b.putInt(0, SYNC).putInt(LENGTH, bodyLength).putLong(SEQUENCE, sequence);
        b.putInt(HEADER_CRC, headerChecksum(b, 0, position));
        b.putInt(BODY_CRC, bodyChecksum(b, 0, bodyLength));
    }

    /** Whether a record header for file position {@code position} starts at {@code b[i]}. */
    boolean validHeader(ByteBuffer b, int i, long position) {
        if (b.getInt(i) != SYNC) {
            return false;
        }
        int bodyLength = bodyLength(b, i);
        return bodyLength >= BODY_OVERHEAD && bodyLength <= MAX_BODY
                && b.getInt(i + HEADER_CRC) == headerChecksum(b, i, position);
    }

    /** Whether the body of the record at {@code b[i]} (header valid, whole record present) is intact. */
    boolean validBody(ByteBuffer b, int i) {
        int bodyLength = bodyLength(b, i);
        if (b.getInt(i + BODY_CRC) != bodyChecksum(b, i, bodyLength)) {
            return false;
        }
        int topicLength = Short.toUnsignedInt(b.getShort(i + HEADER));
        if (topicLength > bodyLength - BODY_OVERHEAD) {
            return false;
        }
        int qos = b.get(i + HEADER + 2 + topicLength);
        return qos >= 0 && qos <= 2;
    }

    static int bodyLength(ByteBuffer b, int i) {
        return b.getInt(i + LENGTH);
    }

    static long sequence(ByteBuffer b, int i) {
        return b.getLong(i + SEQUENCE);
    }

    /** The message of the valid record at {@code b[i]}. */
    static DurableQueue.Message decode(ByteBuffer b, int i) {
        int bodyLength = bodyLength(b, i);
        int topicLength = Short.toUnsignedInt(b.getShort(i + HEADER));
        int topicStart = b.arrayOffset() + i + HEADER + 2;
        String topic = new String(b.array(), topicStart, topicLength, StandardCharsets.UTF_8);
        int qos = b.get(i + HEADER + 2 + topicLength);
        int payloadStart = topicStart + topicLength + 1;
        byte[] payload = new byte[bodyLength - BODY_OVERHEAD - topicLength];
        System.arraycopy(b.array(), payloadStart, payload, 0, payload.length);
        return new DurableQueue.Message(sequence(b, i), topic, qos, payload);
    }

    private int headerChecksum(ByteBuffer b, int i, long position) {
        crc.reset();
        crc.update(b.array(), b.arrayOffset() + i, HEADER_CRC);
        for (int k = 0; k < 8; k++) {
            positionBytes[k] = (byte) (position >>> (56 - 8 * k));
        }
        crc.update(positionBytes, 0, 8);
        return (int) crc.getValue();
    }

    private int bodyChecksum(ByteBuffer b, int i, int bodyLength) {
        crc.reset();
        crc.update(b.array(), b.arrayOffset() + i + HEADER, bodyLength);
        return (int) crc.getValue();
    }
}
