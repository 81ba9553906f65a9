package io.isochron.bridge.kvm.internal;

import io.isochron.api.runtime.GuestJitterSink;
import io.isochron.api.runtime.HypervisorBridge;
import io.isochron.bridge.kvm.discovery.HostThread;
import io.isochron.bridge.kvm.discovery.ThreadRole;
import io.isochron.bridge.kvm.discovery.VmThreadDiscovery;
import io.isochron.bridge.kvm.discovery.VmThreads;
import io.isochron.bridge.kvm.host.CpuList;
import io.isochron.bridge.kvm.host.Kernel;
import io.isochron.bridge.kvm.host.ProcFs;
import io.isochron.bridge.kvm.qmp.Chardev;
import io.isochron.bridge.kvm.qmp.QmpClient;
import io.isochron.bridge.kvm.qmp.QmpEvent;
import io.isochron.bridge.kvm.qmp.QmpException;
import io.isochron.bridge.kvm.qmp.QmpListener;
import io.isochron.bridge.kvm.qmp.VcpuThread;
import io.isochron.bridge.kvm.reservation.Bandwidth;
import io.isochron.bridge.kvm.reservation.CgroupException;
import io.isochron.bridge.kvm.reservation.CgroupFs;
import io.isochron.bridge.kvm.reservation.Cpusets;
import io.isochron.bridge.kvm.reservation.HostFacts;
import io.isochron.bridge.kvm.reservation.Reservation;
import io.isochron.bridge.kvm.reservation.ReservationException;
import io.isochron.bridge.kvm.reservation.ReservationSpec;
import io.isochron.bridge.kvm.reservation.Reserver;
import io.isochron.channel.FrameReader;
import io.isochron.channel.SummaryConverter;
import io.isochron.channel.transport.ChannelConfig;
import io.isochron.channel.transport.SerialChannel;
import io.isochron.channel.transport.SerialNative;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The kvm profile's hypervisor: finds QEMU guests by their QMP sockets, connects their paravirtual
 * channels and registers a {@link KvmBridge} for the current set of guests — a new one whenever a
 * guest comes or goes, so the scheduler re-attaches with the new set.
 */
@Designate(ocd = KvmBridgeConfig.class)
@Component(configurationPid = KvmHypervisor.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL, immediate = true,
        service = KvmHypervisor.class,
        property = {"osgi.command.scope=isochron", "osgi.command.function=guests"})
public class KvmHypervisor {
    static final String PID = "io.isochron.bridge.kvm";
    private static final System.Logger LOG = System.getLogger(PID);
    private static final Duration QMP_TIMEOUT = Duration.ofSeconds(3);
    private static final long RETRY_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final Kernel kernel = Kernel.load();
    private final ProcFs proc = new ProcFs();
    private final Map<Path, Vm> vms = new LinkedHashMap<>();
    /** Sockets that could not be opened: when to try again, and whether that was already logged. */
    private final Map<Path, Long> retryAt = new HashMap<>();
    private volatile GuestJitterSink jitter;
    private BundleContext context;
    private Settings settings;
    private SummaryConverter converter;
    private ServiceRegistration<HypervisorBridge> registration;
    private KvmBridge bridge;
    private Thread watcher;
    /** Made only when reservations are configured: nothing on the host changes otherwise. */
    private Reserver reserver;

    /** The validated configuration. */
    record Settings(Path directory, Map<String, Path> sockets, String chardev, int[] hostCpus, long tickNanos,
            boolean applyAffinity, int framesPerSecond, double[] bytesPerSecond, List<ReservationSpec> reservations) {}

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    void setJitter(GuestJitterSink sink) {
        jitter = sink;
    }

    void unsetJitter(GuestJitterSink sink) {
        if (jitter == sink) {
            jitter = null;
        }
    }

    @Activate
    void activate(BundleContext ctx, KvmBridgeConfig config) {
        context = ctx;
        try {
            settings = settings(config, onlineCpus());
        } catch (IllegalArgumentException e) {
            LOG.log(Level.ERROR, "configuration " + PID + " rejected: " + e.getMessage() + "; no KVM guests are scheduled");
            return;
        }
        converter = new SummaryConverter(settings.bytesPerSecond(), settings.tickNanos());
        if (!settings.reservations().isEmpty()) {
            BitSet online = onlineCpus();
            Optional<Cpusets> cpusets = Cpusets.detect(new CgroupFs(), Path.of("/sys/fs/cgroup"), online);
            reserver = new Reserver(kernel, new HostFacts(kernel, proc, cpusets, online), cpusets);
            LOG.log(Level.INFO, "KVM bridge: " + settings.reservations().size() + " vCPU reservation(s) configured; "
                    + cpusets.map(Cpusets::kind).orElse("no cpuset hierarchy (pinned reservations unavailable)"));
        }
        Path nativeDir = Path.of(System.getProperty("isochron.var", System.getProperty("java.io.tmpdir")), "native");
        try {
            SerialNative.prepare(nativeDir);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot unpack the serial port library into " + nativeDir + " (" + e.getMessage()
                    + "); falling back to the temp directory");
        }
        LOG.log(Level.INFO, "KVM bridge: scheduling on host CPUs " + cpuList(settings.hostCpus()) + ", watching "
                + (settings.directory() == null ? "no directory" : settings.directory() + "/*.qmp")
                + (settings.sockets().isEmpty() ? "" : " and " + settings.sockets().values()));
        watcher = new Thread(this::watch, "isochron-kvm-discovery");
        watcher.setDaemon(true);
        watcher.start();
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        Thread w = watcher;
        if (w != null) {
            w.interrupt();
            w.join(TimeUnit.SECONDS.toMillis(10));
        }
        synchronized (this) {
            unregister();
            vms.values().forEach(vm -> {
                release(vm);
                vm.close();
            });
            vms.clear();
            if (reserver != null) {
                try {
                    reserver.close();
                } catch (CgroupException e) {
                    LOG.log(Level.WARNING, "KVM bridge: removing the cpuset partitions failed: " + e.getMessage());
                }
            }
        }
    }

    /**
     * Applies the configured reservations of guest {@code vm}'s vCPUs. A refusal (admission, cpuset or
     * kernel) is logged once, kept for Health and the shell, and leaves the vCPU an ordinary thread
     * that the placement decisions pin as usual.
     */
    private void reserve(Vm vm) {
        for (ReservationSpec spec : settings.reservations()) {
            if (!spec.vm().equals(vm.name)) {
                continue;
            }
            int index = -1;
            for (int i = 0; i < vm.vcpus.size(); i++) {
                if (vm.vcpus.get(i).cpuIndex() == spec.vcpu()) {
                    index = i;
                }
            }
            if (index < 0) {
                String why = "reservation for " + spec.label() + " not applied: guest " + vm.name + " has vCPUs "
                        + vm.vcpus.stream().map(v -> Integer.toString(v.cpuIndex())).collect(Collectors.joining(","));
                vm.reservationProblems.put(-1 - spec.vcpu(), why);
                LOG.log(Level.WARNING, "KVM bridge: " + why);
                continue;
            }
            int tid = vm.vcpus.get(index).threadId();
            try {
                Reservation r = reserver.reserve(spec, tid);
                vm.reservations.put(index, r);
                if (!r.mismatch().isEmpty()) {
                    vm.reservationProblems.put(index, spec.label() + " (thread " + tid + "): " + r.mismatch());
                }
                LOG.log(r.mismatch().isEmpty() ? Level.INFO : Level.WARNING,
                        "KVM bridge: " + spec.label() + " (thread " + tid + ") reserved: " + r.describe());
            } catch (ReservationException e) {
                vm.reservationProblems.put(index, e.getMessage());
                LOG.log(Level.WARNING, "KVM bridge: " + e.getMessage() + "; the vCPU stays an ordinary thread");
            }
        }
    }

    /** Ends the guest's reservations (its threads are usually gone already) and drops empty partitions. */
    private void release(Vm vm) {
        for (Reservation r : vm.reservations.values()) {
            reserver.release(r).ifPresent(p -> LOG.log(Level.WARNING, "KVM bridge: " + p));
        }
        vm.reservations.clear();
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

    /** One discovery round: add new guests, remove gone ones, re-register the bridge on change. */
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
        boolean changed = false;
        for (var it = vms.entrySet().iterator(); it.hasNext();) {
            var e = it.next();
            Vm vm = e.getValue();
            if (!present.containsKey(e.getKey()) || !vm.qmpConnected() || !Files.exists(Path.of("/proc/" + vm.qemuPid))) {
                LOG.log(Level.INFO, "KVM bridge: guest " + vm.name + " is gone (QEMU pid " + vm.qemuPid + "); removed");
                release(vm);
                vm.close();
                it.remove();
                changed = true;
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
                changed = true;
            } catch (QmpException | RuntimeException ex) {
                if (!retryAt.containsKey(socket)) {
                    LOG.log(Level.WARNING, "KVM bridge: cannot use QMP socket " + socket + " (" + ex.getMessage()
                            + "); retrying every " + TimeUnit.NANOSECONDS.toSeconds(RETRY_NANOS) + " s");
                }
                retryAt.put(socket, now + RETRY_NANOS);
            }
        }
        retryAt.keySet().retainAll(present.keySet());
        if (changed || registration == null) {
            register();
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
            Vm vm = new Vm(name, socket, threads.qemuPid(), vcpus, qmp, converter, () -> jitter);
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
            if (reserver != null) {
                reserve(vm);
            }
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

    private void register() {
        unregister();
        bridge = new KvmBridge(new ArrayList<>(vms.values()), settings.hostCpus(), settings.tickNanos(),
                settings.applyAffinity(), kernel, proc);
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(HypervisorBridge.NAME_PROPERTY, bridge.name());
        props.put("isochron.kvm.guests", vms.values().stream().map(vm -> vm.name).toArray(String[]::new));
        registration = context.registerService(HypervisorBridge.class, bridge, props);
    }

    private void unregister() {
        if (registration != null) {
            try {
                registration.unregister();
            } catch (IllegalStateException alreadyGone) {
                // the framework is stopping
            }
            registration = null;
            bridge = null;
        }
    }

    /**
     * Gogo command {@code isochron:guests}: every guest with its QEMU process, vCPU threads (category,
     * placement, applied affinity), channel counters and its other host threads with their CPU time.
     */
    public synchronized String guests() {
        if (settings == null) {
            return "KVM bridge not configured (see the log for the rejected configuration)";
        }
        if (vms.isEmpty()) {
            return "no guests (watching " + (settings.directory() == null ? "no directory" : settings.directory() + "/*.qmp")
                    + (settings.sockets().isEmpty() ? "" : " and " + settings.sockets().values()) + ")";
        }
        StringBuilder b = new StringBuilder();
        if (bridge != null) {
            b.append(bridge.frameToAffinity()).append('\n');
        }
        for (Vm vm : vms.values()) {
            b.append(vm.name).append("  QEMU pid ").append(vm.qemuPid).append("  QMP ").append(vm.qmpSocket).append('\n');
            for (int i = 0; i < vm.vcpus.size(); i++) {
                b.append("  ").append(bridge == null ? "vcpu" + i : bridge.describe(vm, i)).append('\n');
            }
            var channel = vm.channel();
            b.append("  channel ").append(channel == null ? "none" : channel.endpoint() + " " + channel.state() + "  "
                    + channel.stats()).append('\n');
            VmThreads threads = new VmThreadDiscovery(proc).discover(vm.qemuPid, vm.vcpus, List.of());
            for (HostThread t : threads.threads()) {
                if (t.role() != ThreadRole.VCPU) {
                    b.append("  host thread ").append(t.tid()).append(' ').append(t.comm()).append(" (")
                            .append(t.role().name().toLowerCase()).append(")  CPU ")
                            .append(t.schedStat() == null ? "?" : String.format("%.3f s", t.schedStat().runNanos() / 1e9))
                            .append('\n');
                }
            }
        }
        return b.toString().stripTrailing();
    }

    private static BitSet onlineCpus() {
        try {
            return CpuList.parse(Files.readString(Path.of("/sys/devices/system/cpu/online")).strip());
        } catch (IOException e) {
            BitSet all = new BitSet();
            all.set(0, Runtime.getRuntime().availableProcessors());
            return all;
        }
    }

    /** @throws IllegalArgumentException naming the bad property and what is allowed */
    static Settings settings(KvmBridgeConfig c, BitSet online) {
        Path dir = c.qmpDirectory().isBlank() ? null : Path.of(c.qmpDirectory().trim());
        Map<String, Path> sockets = new LinkedHashMap<>();
        for (String entry : c.qmpSockets()) {
            String e = entry.trim();
            if (e.isEmpty()) {
                continue;
            }
            int eq = e.indexOf('=');
            Path p = Path.of(eq >= 0 ? e.substring(eq + 1).trim() : e);
            String name = eq >= 0 ? e.substring(0, eq).trim() : p.getFileName().toString().replaceFirst("\\.qmp$", "");
            if (name.isEmpty() || !name.matches("[A-Za-z0-9_.-]+")) {
                throw new IllegalArgumentException("property 'qmpSockets': guest name '" + name
                        + "' must be letters, digits, '_', '.' or '-' (entry '" + entry + "')");
            }
            sockets.put(name, p);
        }
        BitSet cpus;
        try {
            cpus = c.cpus().isBlank() ? online : CpuList.parse(c.cpus().trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("property 'cpus' = '" + c.cpus() + "' is not a CPU list such as 0-3 or 1,3");
        }
        BitSet offline = (BitSet) cpus.clone();
        offline.andNot(online);
        if (cpus.isEmpty() || !offline.isEmpty()) {
            throw new IllegalArgumentException("property 'cpus' = '" + c.cpus() + "' must name online CPUs (online: "
                    + cpuList(online.stream().toArray()) + ")");
        }
        if (c.tickMillis() < 10 || c.tickMillis() > 10_000) {
            throw new IllegalArgumentException("property 'tickMillis' = " + c.tickMillis() + " is outside 10..10000");
        }
        if (c.channelFramesPerSecond() < 1) {
            throw new IllegalArgumentException("property 'channelFramesPerSecond' = " + c.channelFramesPerSecond()
                    + " must be >= 1");
        }
        String[] bw = c.componentBytesPerSecond();
        if (bw.length != 6) {
            throw new IllegalArgumentException("property 'componentBytesPerSecond' needs 6 values (GPU, RAM, CACHE, "
                    + "ETHERNET, BUS, STORAGE), got " + bw.length);
        }
        double[] bytes = new double[6];
        for (int i = 0; i < 6; i++) {
            try {
                bytes[i] = Double.parseDouble(bw[i].trim());
            } catch (NumberFormatException e) {
                bytes[i] = -1;
            }
            if (!(bytes[i] > 0)) {
                throw new IllegalArgumentException("property 'componentBytesPerSecond': value " + (i + 1) + " = '"
                        + bw[i] + "' must be a positive number of bytes per second");
            }
        }
        List<ReservationSpec> reservations = new ArrayList<>();
        for (String entry : c.reservations()) {
            if (entry.isBlank()) {
                continue;
            }
            ReservationSpec r;
            try {
                r = ReservationSpec.parse(entry);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("property 'reservations': " + e.getMessage());
            }
            if (reservations.stream().anyMatch(o -> o.label().equals(r.label()))) {
                throw new IllegalArgumentException("property 'reservations': " + r.label() + " is reserved twice");
            }
            BitSet off = r.cpus();
            off.andNot(online);
            if (!off.isEmpty()) {
                throw new IllegalArgumentException("property 'reservations': partition CPUs of '" + entry.strip()
                        + "' must be online CPUs (online: " + Bandwidth.cpuList(online) + ")");
            }
            reservations.add(r);
        }
        return new Settings(dir, sockets, c.channelChardev().trim(), cpus.stream().toArray(),
                TimeUnit.MILLISECONDS.toNanos(c.tickMillis()), c.applyAffinity(), c.channelFramesPerSecond(), bytes,
                List.copyOf(reservations));
    }

    private static String cpuList(int[] cpus) {
        return java.util.Arrays.stream(cpus).mapToObj(Integer::toString).collect(Collectors.joining(","));
    }
}
