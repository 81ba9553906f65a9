package io.isochron.opcua.internal;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Failed password logins per client address: after {@code maxFailures} within the window, every
 * login from that address is refused for the lock-out time, the right password included — so
 * guessing costs the attacker the lock-out, and nothing ever sleeps on the server's threads.
 * Bounded: at most {@value #MAX_ADDRESSES} addresses are remembered, the oldest forgotten first.
 * Thread-safe.
 */
final class LoginThrottle {
    static final int MAX_ADDRESSES = 10_000;

    /** What to do with a login attempt. */
    enum Verdict {
        /** Check the password. */
        CHECK,
        /** Refuse without checking: the address is locked out. */
        LOCKED_OUT
    }

    private final int maxFailures;
    private final long windowNanos;
    private final long lockoutNanos;
    private final Map<String, Record> byAddress = new LinkedHashMap<>(16, 0.75f, true);

    private static final class Record {
        final ArrayDeque<Long> failures = new ArrayDeque<>();
        long lockedUntil;
        boolean locked;
    }

    /** @param maxFailures failures within the window that lock an address out; 0 turns the throttle off */
    LoginThrottle(int maxFailures, long windowNanos, long lockoutNanos) {
        this.maxFailures = maxFailures;
        this.windowNanos = windowNanos;
        this.lockoutNanos = lockoutNanos;
    }

    synchronized Verdict attempt(String address, long now) {
        Record r = byAddress.get(address);
        if (r != null && r.locked && now - r.lockedUntil < 0) {
            return Verdict.LOCKED_OUT;
        }
        return Verdict.CHECK;
    }

    /** @return true if this failure locks the address out (it is then reported once) */
    synchronized boolean failed(String address, long now) {
        if (maxFailures <= 0) {
            return false;
        }
        Record r = byAddress.computeIfAbsent(address, a -> new Record());
        r.failures.addLast(now);
        while (!r.failures.isEmpty() && now - r.failures.peekFirst() > windowNanos) {
            r.failures.removeFirst();
        }
        while (r.failures.size() > maxFailures) {
            r.failures.removeFirst();
        }
        forgetOldest();
        if (r.failures.size() >= maxFailures) {
            r.failures.clear();
            r.locked = true;
            r.lockedUntil = now + lockoutNanos;
            return true;
        }
        return false;
    }

    synchronized void succeeded(String address) {
        byAddress.remove(address);
    }

    synchronized int remembered() {
        return byAddress.size();
    }

    private void forgetOldest() {
        Iterator<Record> it = byAddress.values().iterator();
        while (byAddress.size() > MAX_ADDRESSES && it.hasNext()) {
            it.next();
            it.remove();
        }
    }
}
