package io.isochron.jitter;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * cyclictest as a managed child process: its per-cycle output is parsed into a window that
 * {@link #drainInto} hands over; when it exits it is started again after a backoff that doubles
 * from 1 s up to 60 s (and starts over once a run lasted a minute). Only the first failure and then
 * one line per 10 minutes are logged, with the count in between.
 */
public final class CyclictestProcess implements AutoCloseable {
    public static final String DEFAULT_EXECUTABLE = "cyclictest";
    static final long FIRST_BACKOFF_MILLIS = 1_000;
    static final long MAX_BACKOFF_MILLIS = 60_000;
    private static final long LOG_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(10);
    private static final System.Logger LOG = System.getLogger("io.isochron.jitter");

    private final List<String> command;
    private final long intervalMicros;
    private final Object lock = new Object();
    private final LatencyWindow pending = new LatencyWindow();
    private final Thread supervisor;
    private volatile boolean closed;
    private volatile Process process;
    private volatile String problem = "";
    private volatile long restarts;
    private long lastLogged = Long.MIN_VALUE;
    private long unlogged;

    public CyclictestProcess(String executable, long intervalMicros, int priority, int cpu) {
        this.intervalMicros = intervalMicros;
        this.command = CyclictestParser.command(executable, intervalMicros, priority, cpu, 1);
        supervisor = new Thread(this::supervise, "isochron-cyclictest");
        supervisor.setDaemon(true);
    }

    /** Where cyclictest is found: the given path or a PATH lookup; empty if it is not installed. */
    public static java.util.Optional<Path> locate(String executable) {
        if (executable.contains("/")) {
            Path p = Path.of(executable);
            return Files.isExecutable(p) ? java.util.Optional.of(p) : java.util.Optional.empty();
        }
        String path = System.getenv("PATH");
        for (String dir : (path == null ? "/usr/bin:/bin:/usr/sbin:/sbin" : path).split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, executable);
            if (Files.isExecutable(p)) {
                return java.util.Optional.of(p);
            }
        }
        return java.util.Optional.empty();
    }

    public CyclictestProcess start() {
        supervisor.start();
        return this;
    }

    public List<String> command() {
        return command;
    }

    /** Moves the samples parsed since the previous call into {@code window}. */
    public void drainInto(LatencyWindow window) {
        synchronized (lock) {
            window.add(pending);
            pending.reset();
        }
    }

    /** Empty while cyclictest runs; else why not, in one line. */
    public String problem() {
        return problem;
    }

    public long restarts() {
        return restarts;
    }

    /** The running child's pid, or −1. */
    public long pid() {
        Process p = process;
        return p != null && p.isAlive() ? p.pid() : -1;
    }

    private void supervise() {
        long backoff = FIRST_BACKOFF_MILLIS;
        while (!closed) {
            long started = System.nanoTime();
            String outcome = runOnce();
            if (closed) {
                return;
            }
            if (System.nanoTime() - started > TimeUnit.MILLISECONDS.toNanos(MAX_BACKOFF_MILLIS)) {
                backoff = FIRST_BACKOFF_MILLIS;
            }
            problem = "cyclictest " + outcome + "; restarting in " + backoff / 1000 + " s";
            restarts++;
            report(problem);
            try {
                Thread.sleep(backoff);
            } catch (InterruptedException e) {
                return;
            }
            backoff = Math.min(MAX_BACKOFF_MILLIS, backoff * 2);
        }
    }

    /** Runs cyclictest until it exits; returns how it ended. */
    private String runOnce() {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            return "could not be started (" + e.getMessage() + ")";
        }
        process = p;
        if (closed) {
            p.destroy();
        }
        CyclictestParser parser = new CyclictestParser(intervalMicros);
        String lastOther = "";
        boolean sampled = false;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                boolean sample;
                synchronized (lock) {
                    sample = parser.accept(line, pending);
                }
                if (sample) {
                    if (!sampled) {
                        sampled = true;
                        problem = "";
                    }
                } else if (!line.isBlank()) {
                    lastOther = line.trim();
                }
            }
        } catch (IOException e) {
            lastOther = "output unreadable: " + e.getMessage();
        }
        try {
            int code = p.waitFor();
            return "exited with code " + code + (lastOther.isEmpty() ? "" : " (last output: " + lastOther + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "was interrupted";
        } finally {
            process = null;
        }
    }

    private void report(String message) {
        long now = System.nanoTime();
        if (lastLogged != Long.MIN_VALUE && now - lastLogged < LOG_INTERVAL_NANOS) {
            unlogged++;
            return;
        }
        LOG.log(Level.WARNING, unlogged == 0 ? message : message + " (" + unlogged + " restarts not logged since the last line)");
        lastLogged = now;
        unlogged = 0;
    }

    @Override
    public void close() {
        closed = true;
        Process p = process;
        if (p != null) {
            p.destroy();
            try {
                if (!p.waitFor(2, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        supervisor.interrupt();
    }
}
