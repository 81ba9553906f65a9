package io.isochron.scheduler.internal;

import io.isochron.api.runtime.Health;
import io.isochron.api.runtime.SchedulerState;
import io.isochron.api.runtime.SchedulerStateSource;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * Tells systemd that the appliance is up ({@code READY=1}, once the scheduler is attached to a
 * hypervisor bridge) and, when the unit has a watchdog, keeps
 * petting it ({@code WATCHDOG=1}) at half the interval — only while the scheduler is healthy: a
 * bridge attached and decisions advancing whenever vCPUs are waiting. A hung decision thread or a
 * lost bridge therefore lets systemd restart the service. Outside systemd ({@code NOTIFY_SOCKET}
 * unset) it does nothing. Messages go through {@code systemd-notify}, as the JDK cannot send on the
 * datagram socket itself; the unit needs {@code NotifyAccess=all}.
 */
@Component(immediate = true)
public class SystemdWatchdog {
    private static final System.Logger LOG = System.getLogger("io.isochron.watchdog");

    /** Sends one sd_notify message; replaced in tests. */
    interface Notifier {
        void send(String socket, String message) throws IOException;
    }

    @Reference
    SchedulerStateSource state;

    private final Map<String, String> env;
    private final Notifier notifier;
    private static final long TICK_MILLIS = 100;
    private ScheduledExecutorService timer;
    private long petEveryNanos;
    private boolean ready;
    private long lastPet;
    private long lastDecisions = -1;
    private boolean unhealthyReported;

    public SystemdWatchdog() {
        this(System.getenv(), SystemdWatchdog::systemdNotify);
    }

    SystemdWatchdog(Map<String, String> env, Notifier notifier) {
        this.env = env;
        this.notifier = notifier;
    }

    @Activate
    void activate() {
        if (env.get("NOTIFY_SOCKET") == null) {
            return;
        }
        configure();
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "isochron-watchdog");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(() -> tick(System.nanoTime()), 0, TICK_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** Reads the watchdog interval systemd gave; {@link #tick} does the rest (tests call it by hand). */
    void configure() {
        long intervalMicros = watchdogMicros();
        petEveryNanos = intervalMicros > 0 ? intervalMicros * 1000 / 2 : 0;
        if (petEveryNanos > 0) {
            LOG.log(Level.INFO, "systemd watchdog: petting every {0} ms while the scheduler is healthy",
                    petEveryNanos / 1_000_000);
        }
    }

    /**
     * Every {@value #TICK_MILLIS} ms: announce readiness once the scheduler decides (a bridge is
     * attached), and pet the watchdog when its half-interval is due.
     */
    void tick(long now) {
        if (!ready) {
            if (state.snapshot().health() == Health.FAILURE) {
                return;
            }
            ready = true;
            send("READY=1");
            lastPet = now;
            return;
        }
        if (petEveryNanos > 0 && now - lastPet >= petEveryNanos) {
            lastPet = now;
            check();
        }
    }

    @Deactivate
    void deactivate() {
        if (timer != null) {
            // A tick under way finishes first: none runs (and none sends) after this returns.
            timer.shutdownNow();
            try {
                if (!timer.awaitTermination(5, TimeUnit.SECONDS)) {
                    LOG.log(Level.WARNING, "systemd watchdog tick still running after 5 s; stopping anyway");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            timer = null;
        }
        if (env.get("NOTIFY_SOCKET") != null) {
            send("STOPPING=1");
        }
    }

    long watchdogMicros() {
        try {
            String usec = env.get("WATCHDOG_USEC");
            return usec == null ? 0 : Long.parseLong(usec.trim());
        } catch (NumberFormatException e) {
            LOG.log(Level.WARNING, "ignoring WATCHDOG_USEC=''{0}'': not a number", env.get("WATCHDOG_USEC"));
            return 0;
        }
    }

    /** One watchdog period: pet if healthy, else say why once. */
    void check() {
        String problem = problem(state.snapshot());
        if (problem == null) {
            if (unhealthyReported) {
                LOG.log(Level.INFO, "scheduler healthy again; petting the systemd watchdog");
                unhealthyReported = false;
            }
            send("WATCHDOG=1");
        } else if (!unhealthyReported) {
            unhealthyReported = true;
            LOG.log(Level.ERROR, "not petting the systemd watchdog: " + problem);
        }
    }

    /** @return why the scheduler is not healthy, or null */
    String problem(SchedulerState s) {
        long decisions = s.decisionCount();
        boolean waiting = s.vcpus().stream().anyMatch(v -> v.state() == SchedulerState.VcpuState.READY);
        boolean stuck = decisions == lastDecisions && waiting;
        lastDecisions = decisions;
        if (s.health() == Health.FAILURE) {
            return s.healthReason();
        }
        if (stuck) {
            return "no decision for a whole watchdog period while vCPUs are waiting";
        }
        return null;
    }

    private void send(String message) {
        try {
            notifier.send(env.get("NOTIFY_SOCKET"), message);
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "systemd notification " + message + " failed: " + e);
        }
    }

    /** Sends with systemd-notify on behalf of this JVM's pid, without waiting for systemd's barrier. */
    static void systemdNotify(String socket, String message) throws IOException {
        ProcessBuilder pb = new ProcessBuilder("systemd-notify", "--no-block", "--pid=" + ProcessHandle.current().pid(),
                message).redirectErrorStream(true);
        pb.environment().put("NOTIFY_SOCKET", socket);
        Process p = pb.start();
        try {
            if (!p.waitFor(2, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("systemd-notify did not return within 2 s");
            }
            if (p.exitValue() != 0) {
                throw new IOException("systemd-notify exited with " + p.exitValue() + ": "
                        + new String(p.getInputStream().readAllBytes()).trim());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while notifying systemd", e);
        }
    }
}
