package io.isochron.bridge.kvm.internal;

import io.isochron.api.runtime.GuestJitterSink;
import io.isochron.bridge.kvm.discovery.HostThread;
import io.isochron.bridge.kvm.discovery.ThreadRole;
import io.isochron.bridge.kvm.discovery.VmThreadDiscovery;
import io.isochron.bridge.kvm.discovery.VmThreads;
import io.isochron.bridge.kvm.host.ProcFs;
import io.isochron.bridge.kvm.qmp.Chardev;
import io.isochron.bridge.kvm.qmp.QmpClient;
import io.isochron.bridge.kvm.qmp.QmpEvent;
import io.isochron.bridge.kvm.qmp.QmpException;
import io.isochron.bridge.kvm.qmp.QmpListener;
import io.isochron.bridge.kvm.qmp.VcpuThread;
import io.isochron.channel.FrameReader;
import io.isochron.channel.SummaryConverter;
import io.isochron.channel.transport.ChannelConfig;
import io.isochron.channel.transport.SerialChannel;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Finds the QEMU guests: every second it lists the configured QMP sockets and directory, opens new
 * guests (QMP, vCPU threads, paravirtual channel, reservations) and drops those whose QMP connection
 * ended or whose QEMU process is gone. Each change of the set is handed to a listener, on this
 * watcher's thread.
 */
final class GuestWatcher implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(KvmHypervisor.PID);
    private static final Duration QMP_TIMEOUT = Duration.ofSeconds(3);
    private static final long RETRY_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final KvmSettings settings;
    private final ProcFs proc;
    private final SummaryConverter converter;
    private final Supplier<GuestJitterSink> jitter;
    private final Optional<GuestReservations> reservations;
    private final Consumer<List<Vm>> changed;
    private final Map<Path, Vm> vms = new LinkedHashMap<>();
    /** Sockets that could not be opened: when to try again (logged once, when first seen). */
    private final Map<Path, Long> retryAt = new HashMap<>();
    private Thread thread;
    private boolean announced;

    GuestWatcher(KvmSettings settings, ProcFs proc, Supplier<GuestJitterSink> jitter,
            Optional<GuestReservations> reservations, Consumer<List<Vm>> changed) {
        this.settings = settings;
        this.proc = proc;
        this.converter = new SummaryConverter(settings.bytesPerSecond(), settings.tickNanos());
        this.jitter = jitter;
        this.reservations = reservations;
        this.changed = changed;
    }

    void start() {
        Thread t = new Thread(this::watch, "isochron-kvm-discovery");
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    private void watch() {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                scan();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "KVM bridge: guest discovery failed: " + e);
            }
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** One discovery round; the listener hears of the first round and of every change. */
    synchronized void scan() {
        Map<Path, String> present = new LinkedHashMap<>();
        settings.sockets().forEach((name, path) -> present.put(path, name));
        if (settings.directory() != null && Files.isDirectory(settings.directory())) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(settings.directory(), "*.qmp")) {
                for (Path p : ds) {
                    String file = p.getFileName().toString();
                    present.putIfAbsent(p, file.substring(0, file.length() - 4));
                }
            } catch (IOException e) {
                LOG.log(Level.WARNING, "KVM bridge: cannot list " + settings.directory() + ": " + e.getMessage());
            }
        }
        boolean change = false;
        for (var it = vms.entrySet().iterator(); it.hasNext();) {
            var e = it.next();
            Vm vm = e.getValue();
            if (!present.containsKey(e.getKey()) || !vm.qmpConnected() || !Files.exists(Path.of("/proc/" + vm.qemuPid))) {
                LOG.log(Level.INFO, "KVM bridge: guest " + vm.name + " is gone (QEMU pid " + vm.qemuPid + "); removed");
                close(vm);
                it.remove();
                change = true;
            }
        }
        long now = System.nanoTime();
        for (var e : present.entrySet()) {
            Path socket = e.getKey();
            if (vms.containsKey(socket) || retryAt.getOrDefault(socket, Long.MIN_VALUE) > now) {
                continue;
            }
            try {
                vms.put(socket, open(e.getValue(), socket));
                retryAt.remove(socket);
                change = true;
            } catch (QmpException | RuntimeException ex) {
                if (!retryAt.containsKey(socket)) {
                    LOG.log(Level.WARNING, "KVM bridge: cannot use QMP socket " + socket + " (" + ex.getMessage()
                            + "); retrying every " + TimeUnit.NANOSECONDS.toSeconds(RETRY_NANOS) + " s");
                }
                retryAt.put(socket, now + RETRY_NANOS);
            }
        }
        retryAt.keySet().retainAll(present.keySet());
        if (change || !announced) {
            announced = true;
            changed.accept(new ArrayList<>(vms.values()));
        }
    }

    private Vm open(String name, Path socket) throws QmpException {
        QmpClient qmp = QmpClient.connect(socket, QMP_TIMEOUT, new QmpListener() {
            @Override
            public void onEvent(QmpEvent event) {
                if (event.name().equals("SHUTDOWN")) {
                    LOG.log(Level.INFO, "KVM bridge: guest " + name + " shut down (" + event.data() + ")");
                }
            }

            @Override
            public void onDisconnected(String reason) {
                // noticed by the next discovery round
            }
        });
        try {
            List<VcpuThread> vcpus = qmp.queryCpusFast();
            VmThreads threads = new VmThreadDiscovery(proc).discover(qmp, vcpus);
            Vm vm = new Vm(name, socket, threads.qemuPid(), vcpus, qmp, converter, jitter);
            Optional<Path> pty = qmp.queryChardev().stream().filter(c -> c.label().equals(settings.chardev()))
                    .findFirst().flatMap(Chardev::ptyPath);
            if (pty.isPresent()) {
                vm.attachChannel(new SerialChannel(pty.get().toString(),
                        ChannelConfig.of(name, FrameReader.ANY_VM)
                                .withRate(settings.framesPerSecond(), settings.framesPerSecond()),
                        vm));
            } else {
                LOG.log(Level.WARNING, "KVM bridge: guest " + name + " has no pty chardev '" + settings.chardev()
                        + "' (-chardev pty,id=" + settings.chardev() + "); scheduling it by thread CPU time only");
            }
            LOG.log(Level.INFO, "KVM bridge: guest " + name + " (QEMU " + qmp.qemuVersion() + ", pid " + threads.qemuPid()
                    + "): vCPU threads " + vcpus.stream().map(v -> v.cpuIndex() + "=" + v.threadId())
                            .collect(Collectors.joining(", "))
                    + "; other host threads " + describe(threads)
                    + pty.map(p -> "; channel " + p).orElse(""));
            reservations.ifPresent(r -> r.reserve(vm));
            return vm;
        } catch (QmpException | RuntimeException e) {
            qmp.close();
            throw e;
        }
    }

    private static String describe(VmThreads threads) {
        List<String> other = new ArrayList<>();
        for (HostThread t : threads.threads()) {
            if (t.role() != ThreadRole.VCPU) {
                other.add(t.comm() + "(" + t.tid() + ", " + t.role().name().toLowerCase() + ")");
            }
        }
        return other.isEmpty() ? "none" : String.join(", ", other);
    }

    private void close(Vm vm) {
        reservations.ifPresent(r -> r.release(vm));
        vm.close();
    }

    /** The guests found now. */
    synchronized List<Vm> guests() {
        return new ArrayList<>(vms.values());
    }

    /** Stops watching, closes every guest's connections and ends their reservations. */
    @Override
    public void close() throws InterruptedException {
        Thread t = thread;
        if (t != null) {
            t.interrupt();
            t.join(TimeUnit.SECONDS.toMillis(10));
        }
        synchronized (this) {
            vms.values().forEach(this::close);
            vms.clear();
        }
        reservations.ifPresent(GuestReservations::close);
    }
}
