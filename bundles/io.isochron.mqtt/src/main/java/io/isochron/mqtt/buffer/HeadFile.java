package io.isochron.mqtt.buffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * The queue's position and counters, in the file {@code head}: two slots of 64 bytes, written in
 * place by turns, each {@code [int magic][long generation][long head][long next][long dropped][long
 * corrupt][long lostAhead][int CRC-32C of the preceding bytes]}. The valid slot with the higher
 * generation is the state; a write never touches the slot holding the last state, so a torn write
 * (power loss) costs that write only. A write is a single positional write into the page cache —
 * cheap enough for every acknowledgement, and durable across a killed process.
 */
final class HeadFile implements AutoCloseable {
    static final String NAME = "head";
    /** Where a new head file is prepared before it replaces the old one. */
    static final String NEW_NAME = "head.new";
    /** The previous version's head: {@code [long head][long dropped][long corrupted]}, no checksum. */
    static final int LEGACY_SIZE = 24;

    private static final int MAGIC = 0x49534851;
    private static final int SLOT = 64;
    private static final int SLOT_DATA = 56;
    private static final int CRC_AT = 52;

    /** Where the saved state came from. */
    enum Source {
        /** No head file. */
        MISSING,
        /** Both slots valid. */
        BOTH_SLOTS,
        /** One slot valid: the other was torn or damaged; the state may be one write old. */
        ONE_SLOT,
        /** Written by the previous version: no checksum, no {@code next}. */
        LEGACY,
        /** No slot passes its checksum. */
        DAMAGED
    }

    /**
     * A saved state; {@code next} is -1 where not known.
     *
     * @param lostAhead sequences between head and next that are known to be lost (already counted)
     */
    record Saved(Source source, long head, long next, long dropped, long corrupt, long lostAhead) {
        boolean trusted() {
            return source == Source.BOTH_SLOTS || source == Source.ONE_SLOT || source == Source.LEGACY;
        }
    }

    private final FileChannel channel;
    private final ByteBuffer slot = ByteBuffer.allocateDirect(SLOT_DATA);
    private final CRC32C crc = new CRC32C();
    private long generation;

    private HeadFile(FileChannel channel, long generation) {
        this.channel = channel;
        this.generation = generation;
    }

    static Saved read(Path dir) throws IOException {
        Path file = dir.resolve(NAME);
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            return new Saved(Source.MISSING, 0, -1, 0, 0, 0);
        }
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            return new Saved(Source.DAMAGED, 0, -1, 0, 0, 0);
        }
        ByteBuffer b = ByteBuffer.allocate(2 * SLOT);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            while (b.hasRemaining() && ch.read(b) >= 0) {
                // until full or at the end
            }
        }
        int length = b.position();
        if (length == LEGACY_SIZE) {
            long head = b.getLong(0);
            long dropped = b.getLong(8);
            long corrupted = b.getLong(16);
            boolean plausible = head >= 0 && dropped >= 0 && corrupted >= 0;
            return plausible ? new Saved(Source.LEGACY, head, -1, dropped, corrupted, 0)
                    : new Saved(Source.DAMAGED, 0, -1, 0, 0, 0);
        }
        CRC32C check = new CRC32C();
        Saved best = null;
        long bestGeneration = Long.MIN_VALUE;
        int valid = 0;
        for (int s = 0; s < 2; s++) {
            int at = s * SLOT;
            if (length < at + SLOT_DATA || b.getInt(at) != MAGIC) {
                continue;
            }
            check.reset();
            check.update(b.array(), at, CRC_AT);
            if ((int) check.getValue() != b.getInt(at + CRC_AT)) {
                continue;
            }
            valid++;
            long gen = b.getLong(at + 4);
            if (best == null || gen > bestGeneration) {
                bestGeneration = gen;
                best = new Saved(Source.BOTH_SLOTS, b.getLong(at + 12), b.getLong(at + 20), b.getLong(at + 28),
                        b.getLong(at + 36), b.getLong(at + 44));
            }
        }
        if (best == null || best.head() < 0 || best.next() < best.head() || best.lostAhead() < 0) {
            return new Saved(Source.DAMAGED, 0, -1, 0, 0, 0);
        }
        return valid == 2 ? best : new Saved(Source.ONE_SLOT, best.head(), best.next(), best.dropped(), best.corrupt(),
                best.lostAhead());
    }

    /** Replaces the head file (atomically) with one holding this state in both slots, and opens it. */
    static HeadFile create(Path dir, long head, long next, long dropped, long corrupt, long lostAhead) throws IOException {
        Path fresh = dir.resolve(NEW_NAME);
        try (FileChannel ch = FileChannel.open(fresh, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            HeadFile h = new HeadFile(ch, -1);
            h.write(head, next, dropped, corrupt, lostAhead, false);
            h.write(head, next, dropped, corrupt, lostAhead, true);
        }
        try {
            Files.move(fresh, dir.resolve(NAME), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(fresh, dir.resolve(NAME), StandardCopyOption.REPLACE_EXISTING);
        }
        DurableQueue.syncDirectory(dir);
        return new HeadFile(FileChannel.open(dir.resolve(NAME), StandardOpenOption.READ, StandardOpenOption.WRITE), 1);
    }

    /** Writes the state into the slot not holding the current one; {@code force} puts it on the device. */
    void write(long head, long next, long dropped, long corrupt, long lostAhead, boolean force) throws IOException {
        generation++;
        slot.clear();
        slot.putInt(MAGIC).putLong(generation).putLong(head).putLong(next).putLong(dropped).putLong(corrupt)
                .putLong(lostAhead);
        slot.flip();
        crc.reset();
        crc.update(slot);
        slot.limit(SLOT_DATA);
        slot.putInt(CRC_AT, (int) crc.getValue());
        slot.position(0);
        long at = (generation & 1) * SLOT;
        while (slot.hasRemaining()) {
            channel.write(slot, at + slot.position());
        }
        if (force) {
            channel.force(false);
        }
    }

    void force() throws IOException {
        channel.force(false);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
