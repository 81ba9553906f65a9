package io.isochron.bridge.kvm.schedext;

import io.isochron.api.IoCategory;
import io.isochron.api.runtime.Enforcement;
import io.isochron.api.runtime.Enforcement.SchedExtCounters;
import io.isochron.log.RateLimitedLog;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Keeps Isochron's sched_ext scheduler attached through its service ({@code isochron-scx serve},
 * docs/schedext.md) while the configuration asks for it, and passes it the vCPU threads'
 * categories and the policy. When it cannot be attached, or goes (the kernel ejected it, the
 * service stopped), {@link #inForce()} turns false at once, so the bridge enforces by affinity
 * again; the reason is in {@link #problem()} and {@link #enforcement}, and attaching is retried
 * with a growing back-off. Outlives the bridges: the hypervisor component owns it.
 */
public final class SchedExtEnforcer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("io.isochron.bridge.kvm");
    static final long FIRST_RETRY_NANOS = TimeUnit.SECONDS.toNanos(10);
    static final long LAST_RETRY_NANOS = TimeUnit.MINUTES.toNanos(5);
    /** Attached at least this long: the next failure starts the back-off afresh. */
    private static final long STABLE_NANOS = TimeUnit.MINUTES.toNanos(1);
    private static final long ATTACH_TIMEOUT_MILLIS = TimeUnit.SECONDS.toMillis(30);
    private static final long STATS_EVERY_MILLIS = 2_000;
    /** A refused thread counts for Health this long. */
    private static final long FAULT_MEMORY_NANOS = TimeUnit.MINUTES.toNanos(1);
    /** Numbers per category in the service's stats line. */
    public static final int STATS_PER_CATEGORY = 9;

    private final EnforcementMode mode;
    private final Path socket;
    private final Path sysfs;
    private final long firstRetryNanos;
    private final Object monitor = new Object();
    private final RateLimitedLog serviceLog = new RateLimitedLog(LOG, Duration.ofMinutes(1));
    private final Thread keeper;
    private volatile boolean closed;

    private volatile SchedExtConnection connection;
    private volatile boolean inForce;
    private volatile int generation;
    private volatile String state;
    private volatile String problem = "";
    private volatile SchedExtCounters counters;
    private volatile long[] perCategory = new long[0];
    private volatile String policy = "shortest-queue";
    private volatile double overlap;
    private volatile String modeReadBack = "";
    private volatile String attachedAs = "";
    private volatile String threadFault = "";
    private volatile long threadFaultAt;
    private long threadFaults;

    // guarded by monitor
    private boolean awaitingAttach;
    private String attachReply;
    private String lost;
    private String lastLogged = "";

    /**
     * @param socket the service's socket
     * @param sysfs {@code /sys/kernel/sched_ext}: present when the kernel has sched_ext
     */
    public SchedExtEnforcer(EnforcementMode mode, Path socket, Path sysfs) {
        this(mode, socket, sysfs, FIRST_RETRY_NANOS);
    }

    /** @param firstRetryNanos the first back-off after a failure; it doubles up to five minutes */
    public SchedExtEnforcer(EnforcementMode mode, Path socket, Path sysfs, long firstRetryNanos) {
        this.mode = mode;
        this.socket = socket;
        this.sysfs = sysfs;
        this.firstRetryNanos = firstRetryNanos;
        this.state = mode == EnforcementMode.AFFINITY ? "not used: enforcement = affinity" : "not attached yet";
        this.keeper = new Thread(this::keep, "isochron-schedext");
        keeper.setDaemon(true);
    }

    public SchedExtEnforcer start() {
        if (mode != EnforcementMode.AFFINITY) {
            keeper.start();
        }
        return this;
    }

    /** Whether the kernel scheduler enforces now; false as soon as it is known to be gone. */
    public boolean inForce() {
        return inForce;
    }

    /** Counts attachments: a new value means a new scheduler that knows no thread yet. */
    public int generation() {
        return generation;
    }

    /** The kernel's category code of an I/O category: 0 for none (never conflicts), 1-6 for the components. */
    public static int code(IoCategory c) {
        return c.isComponent() ? c.ordinal() + 1 : 0;
    }

    /** The I/O category of a kernel category code 0-6 ({@link #code}'s inverse). */
    public static IoCategory category(int code) {
        return code == 0 ? IoCategory.NONE : IoCategory.component(code - 1);
    }

    /** Gives a vCPU thread its category and moves it into the scheduler; allocation-free. */
    public void thread(int tid, IoCategory category) {
        SchedExtConnection c = connection;
        if (inForce && c != null) {
            try {
                c.thread(tid, code(category));
            } catch (IOException e) {
                writeFailed(e);
            }
        }
    }

    /** The thread is gone or no longer a vCPU the bridge schedules. */
    public void forget(int tid) {
        SchedExtConnection c = connection;
        if (inForce && c != null) {
            try {
                c.forget(tid);
            } catch (IOException e) {
                writeFailed(e);
            }
        }
    }

    /** The policy deciding now; passed on as the kernel scheduler's mode. */
    public void policy(String name, double overlapPercent) {
        policy = name;
        overlap = overlapPercent;
        SchedExtConnection c = connection;
        if (inForce && c != null) {
            try {
                c.send(modeCommand(name, overlapPercent));
            } catch (IOException e) {
                writeFailed(e);
            }
        }
    }

    /**
     * The kernel scheduler's mode for a policy: the modes of the same name for interference-aware
     * (with its overlap), edf and edf-refinement, shortest-queue (no separation) for the others.
     */
    static String modeCommand(String policy, double overlapPercent) {
        return switch (policy) {
            case "interference-aware" -> "mode interference-aware " + Math.round(overlapPercent);
            case "edf", "edf-refinement" -> "mode " + policy;
            default -> "mode shortest-queue";
        };
    }

    /**
     * How decisions are in force.
     *
     * @param applying false when the bridge only decides and reports (applyAffinity = false)
     */
    public Enforcement enforcement(boolean applying) {
        if (!applying) {
            return new Enforcement(Enforcement.NONE, "not used: applyAffinity = false (decide and report only)", null);
        }
        if (inForce) {
            String p = policy;
            // The bridge gives vCPU threads no timing (docs/schedext.md): the EDF modes see none.
            String note = switch (p) {
                case "edf-refinement" -> "; vCPU threads have no timing: the kernel keeps them apart by category";
                case "edf" -> "; vCPU threads have no timing: the kernel runs them without separation";
                default -> "";
            };
            return new Enforcement(Enforcement.SCHED_EXT, attachedAs + "; mode " + modeReadBack + " (policy " + p + ")"
                    + note + byCategory(perCategory), counters);
        }
        return new Enforcement(Enforcement.AFFINITY, state, null);
    }

    /**
     * What the kernel ran per category, from its own counters: "; by category: RAM 12.3 s run, 456
     * dispatches, STORAGE …" (categories that ran; "" before the first counters).
     */
    static String byCategory(long[] all) {
        StringBuilder s = new StringBuilder();
        for (int k = 1; k <= IoCategory.COMPONENT_COUNT && (k + 1) * STATS_PER_CATEGORY <= all.length; k++) {
            long runNanos = all[k * STATS_PER_CATEGORY];
            long dispatches = all[k * STATS_PER_CATEGORY + 3];
            if (runNanos == 0 && dispatches == 0) {
                continue;
            }
            s.append(s.length() == 0 ? "; by category: " : ", ").append(category(k))
                    .append(String.format(Locale.ROOT, " %.1f s run, %d dispatches", runNanos / 1e9, dispatches));
        }
        return s.toString();
    }

    /** Why the configured enforcement is not in force, for Health CHECK_FUNCTION; "" when it is. */
    public String problem() {
        return inForce ? "" : problem;
    }

    /** Threads the kernel scheduler refused recently, for Health MAINTENANCE_REQUIRED; "" when none. */
    public String fault() {
        String f = threadFault;
        return f.isEmpty() || System.nanoTime() - threadFaultAt > FAULT_MEMORY_NANOS ? "" : f;
    }

    /**
     * Per category 0-7, {@link #STATS_PER_CATEGORY} each: run ns, co-running ns, co-running events,
     * dispatches, refused, unadmitted, violations, jobs, deadline misses; empty before the first count.
     */
    public long[] perCategory() {
        return perCategory.clone();
    }

    // ---- the keeper thread ----

    private void keep() {
        long backoff = firstRetryNanos;
        while (!closed) {
            String failed = attach();
            if (closed) {
                break;
            }
            if (failed == null) {
                long since = System.nanoTime();
                String why = keepAttached();
                if (closed) {
                    break;
                }
                if (System.nanoTime() - since > STABLE_NANOS) {
                    backoff = firstRetryNanos;
                }
                fellBack(why, true, backoff);
            } else if (failed.startsWith("!")) {
                // sched_ext is not offered here: with auto that is no fault, and a kernel does not gain it
                String why = failed.substring(failed.indexOf(' ') + 1);
                if (failed.startsWith("!kernel") && mode == EnforcementMode.AUTO) {
                    fellBack(why, false, -1);
                    return;
                }
                fellBack(why, mode == EnforcementMode.SCHED_EXT, backoff);
            } else {
                fellBack(failed, true, backoff);
            }
            try {
                TimeUnit.NANOSECONDS.sleep(backoff);
            } catch (InterruptedException e) {
                return;
            }
            backoff = Math.min(LAST_RETRY_NANOS, backoff * 2);
        }
    }

    /** Attaches the scheduler: null on success, else why not ("!kernel …"/"!service …": not offered here). */
    private String attach() {
        if (!Files.isDirectory(sysfs)) {
            return "!kernel this kernel has no sched_ext (" + sysfs + " is missing)";
        }
        if (!Files.exists(socket)) {
            return "!service no sched_ext service at " + socket + " (isochron-scx serve is not running)";
        }
        SchedExtConnection c;
        synchronized (monitor) {
            awaitingAttach = true;
            attachReply = null;
            lost = null;
        }
        try {
            c = SchedExtConnection.open(socket, this::onLine, this::lose);
        } catch (IOException e) {
            return "cannot connect to the sched_ext service at " + socket + ": " + e.getMessage();
        }
        String reply;
        try {
            c.send("attach");
            synchronized (monitor) {
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ATTACH_TIMEOUT_MILLIS);
                while (attachReply == null && lost == null && !closed) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        break;
                    }
                    TimeUnit.NANOSECONDS.timedWait(monitor, left);
                }
                awaitingAttach = false;
                reply = attachReply != null ? attachReply : lost != null ? "error " + lost
                        : "error the service did not answer within " + ATTACH_TIMEOUT_MILLIS / 1000 + " s";
            }
            if (reply.startsWith("attached ")) {
                String[] f = reply.split(" ", 3);
                attachedAs = "ops " + (f.length > 2 ? f[2] : "?") + ", attached in " + (f.length > 1 ? f[1] : "?") + " s";
                connection = c;
                c.send(modeCommand(policy, overlap));
                counters = null;
                generation++;
                inForce = true;
                synchronized (monitor) {
                    lastLogged = "";
                }
                LOG.log(Level.INFO, "KVM bridge: sched_ext scheduler " + attachedAs
                        + "; the kernel schedules the vCPU threads from now on");
                return null;
            }
        } catch (IOException e) {
            reply = "error writing to the service failed: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            reply = "error interrupted";
        }
        c.close();
        return "the sched_ext scheduler could not be attached: " + reply.substring("error ".length());
    }

    /** Asks for the counters every few seconds until the scheduler is gone; returns why it went. */
    private String keepAttached() {
        while (true) {
            synchronized (monitor) {
                try {
                    if (lost == null && !closed) {
                        monitor.wait(STATS_EVERY_MILLIS);
                    }
                } catch (InterruptedException e) {
                    return "stopping";
                }
                if (lost != null || closed) {
                    String why = lost == null ? "stopping" : lost;
                    SchedExtConnection c = connection;
                    connection = null;
                    if (c != null) {
                        c.close();
                    }
                    return why;
                }
            }
            SchedExtConnection c = connection;
            try {
                if (c != null) {
                    c.send("stats");
                }
            } catch (IOException e) {
                writeFailed(e);
            }
        }
    }

    /** @param retryNanos when attaching is tried again; negative: never */
    private void fellBack(String why, boolean isProblem, long retryNanos) {
        inForce = false;
        String retry = retryNanos < 0 ? "" : "; trying again in " + (retryNanos >= 1_000_000_000L
                ? TimeUnit.NANOSECONDS.toSeconds(retryNanos) + " s" : TimeUnit.NANOSECONDS.toMillis(retryNanos) + " ms");
        state = "not attached: " + why + retry;
        problem = isProblem ? "sched_ext not in force, vCPU threads are pinned instead: " + why + retry : "";
        synchronized (monitor) {
            if (why.equals(lastLogged)) {
                return; // the same reason again: said once per episode
            }
            lastLogged = why;
        }
        LOG.log(isProblem ? Level.WARNING : Level.INFO, "KVM bridge: enforcing by affinity, because " + why
                + (isProblem ? retry + " (said again only when the reason changes)" : ""));
    }

    // ---- the connection's reader thread ----

    private void onLine(String line) {
        synchronized (monitor) {
            if (awaitingAttach && (line.startsWith("attached ") || line.startsWith("error "))) {
                attachReply = line;
                monitor.notifyAll();
                return;
            }
        }
        if (line.startsWith("ejected ")) {
            String rest = line.substring("ejected ".length());
            int space = rest.indexOf(' ');
            lose("the kernel ejected the scheduler: " + (space < 0 ? rest : rest.substring(space + 1)));
        } else if (line.startsWith("stats ")) {
            stats(line);
        } else if (line.startsWith("mode ")) {
            String[] f = line.split(" ");
            modeReadBack = f.length == 3 && f[1].equals("interference-aware") ? f[1] + ", overlap " + f[2] + " %"
                    : f.length >= 2 ? f[1] : line;
        } else if (line.startsWith("error thread ") && !inForce) {
            return; // a category sent as the scheduler went: nothing to put in force any more
        } else if (line.startsWith("error thread ")) {
            threadFaults++;
            threadFault = threadFaults + " vCPU threads not taken by the kernel scheduler so far; last: "
                    + line.substring("error ".length());
            threadFaultAt = System.nanoTime();
            serviceLog.log(Level.WARNING, "KVM bridge: sched_ext service: " + line.substring("error ".length())
                    + " (logged at most once a minute)");
        } else {
            serviceLog.log(Level.WARNING, "KVM bridge: sched_ext service said: " + line + " (logged at most once a minute)");
        }
    }

    private void stats(String line) {
        String[] f = line.split(" ");
        int categories = (f.length - 2) / STATS_PER_CATEGORY;
        if (f.length != 2 + categories * STATS_PER_CATEGORY || categories < 2) {
            serviceLog.log(Level.WARNING, "KVM bridge: sched_ext service sent counters in an unknown layout: " + line);
            return;
        }
        long[] all = new long[categories * STATS_PER_CATEGORY];
        try {
            for (int i = 0; i < all.length; i++) {
                all[i] = Long.parseUnsignedLong(f[2 + i]);
            }
        } catch (NumberFormatException e) {
            serviceLog.log(Level.WARNING, "KVM bridge: sched_ext service sent counters that are not numbers: " + line);
            return;
        }
        long dispatches = 0;
        long violations = 0;
        long corunNanos = 0;
        long misses = 0;
        for (int k = 0; k < categories; k++) {
            int at = k * STATS_PER_CATEGORY;
            misses += all[at + 8];
            if (k > 0) { // category 0 never conflicts
                corunNanos += all[at + 1];
                dispatches += all[at + 3];
                violations += all[at + 6];
            }
        }
        perCategory = all;
        counters = new SchedExtCounters(dispatches, corunNanos / 1e9, violations, misses);
    }

    private void writeFailed(IOException e) {
        lose("writing to the service failed: " + e.getMessage());
    }

    private void lose(String why) {
        synchronized (monitor) {
            if (lost == null) {
                lost = why;
            }
            inForce = false;
            monitor.notifyAll();
        }
    }

    @Override
    public void close() {
        closed = true;
        inForce = false;
        keeper.interrupt();
        SchedExtConnection c = connection;
        if (c != null) {
            c.close();
        }
        try {
            keeper.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
