package io.isochron.bridge.kvm.internal;

import io.isochron.api.runtime.GuestJitterSink;
import io.isochron.api.runtime.HypervisorBridge;
import io.isochron.bridge.kvm.host.CpuList;
import io.isochron.bridge.kvm.host.Kernel;
import io.isochron.bridge.kvm.host.ProcFs;
import io.isochron.bridge.kvm.schedext.EnforcementMode;
import io.isochron.bridge.kvm.schedext.SchedExtEnforcer;
import io.isochron.channel.transport.SerialNative;
import io.isochron.config.ConfigGuard;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The kvm profile's hypervisor: a {@link GuestWatcher} finds the QEMU guests, and for every set of
 * guests this registers a new {@link KvmBridge}, so the scheduler re-attaches with the new set.
 * A changed configuration restarts the watcher (guests are found again); a rejected one leaves it
 * running (at boot: the defaults). Gogo {@code isochron:guests} shows what it found.
 */
@Designate(ocd = KvmBridgeConfig.class)
@Component(configurationPid = KvmHypervisor.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL, immediate = true,
        service = KvmHypervisor.class,
        property = {"osgi.command.scope=isochron", "osgi.command.function=guests"})
public class KvmHypervisor {
    static final String PID = "io.isochron.bridge.kvm";
    private static final Path SCHED_EXT_SYSFS = Path.of("/sys/kernel/sched_ext");
    private static final System.Logger LOG = System.getLogger(PID);

    private final Kernel kernel = Kernel.load();
    private final ProcFs proc = new ProcFs();
    private final BitSet online = onlineCpus();
    private final ConfigGuard<KvmBridgeConfig, KvmSettings> guard =
            ConfigGuard.of(PID, KvmBridgeConfig.class, c -> KvmSettings.from(c, online));
    private volatile GuestJitterSink jitter;
    private BundleContext context;
    private KvmSettings settings;
    private GuestWatcher watcher;
    /** Guards the bridge's registration, which the watcher's thread changes (never the component lock). */
    private final Object registrationLock = new Object();
    private ServiceRegistration<HypervisorBridge> registration;
    private volatile KvmBridge bridge;
    private volatile SchedExtEnforcer schedExt;

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
    synchronized void activate(BundleContext ctx, Map<String, Object> properties) {
        context = ctx;
        Path nativeDir = Path.of(System.getProperty("isochron.var", System.getProperty("java.io.tmpdir")), "native");
        try {
            SerialNative.prepare(nativeDir);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot unpack the serial port library into " + nativeDir + " (" + e.getMessage()
                    + "); falling back to the temp directory");
        }
        start(guard.initial(properties));
    }

    @Modified
    synchronized void modified(Map<String, Object> properties) throws InterruptedException {
        var next = guard.update(properties);
        if (next.isPresent()) {
            stop();
            start(next.get());
        }
    }

    @Deactivate
    synchronized void deactivate() throws InterruptedException {
        stop();
        guard.close();
    }

    private void start(KvmSettings s) {
        settings = s;
        LOG.log(Level.INFO, "KVM bridge: scheduling on host CPUs " + KvmSettings.cpuList(s.hostCpus()) + ", watching "
                + s.watched() + ", enforcement " + s.enforcement().configName());
        schedExt = new SchedExtEnforcer(s.applyAffinity() ? s.enforcement() : EnforcementMode.AFFINITY,
                s.schedExtSocket(), SCHED_EXT_SYSFS).start();
        watcher = new GuestWatcher(s, proc, () -> jitter, GuestReservations.of(s.reservations(), kernel, proc, online),
                guests -> register(s, guests));
        watcher.start();
    }

    private void stop() throws InterruptedException {
        if (watcher != null) {
            watcher.close();
            watcher = null;
        }
        unregister();
        SchedExtEnforcer x = schedExt;
        if (x != null) {
            x.close(); // the service detaches the scheduler: the vCPU threads return to the fair class
        }
    }

    /**
     * A new bridge for the guests found now; called on the watcher's thread on every change. Guests in
     * name order, so that vCPU ids (and the placements that depend on them) do not depend on the order
     * in which a directory listing happened to name their sockets. The new bridge is registered before
     * the old one goes, so that the scheduler moves straight from one to the other: a guest coming or
     * going is never a moment without a bridge (health FAILURE, a missed watchdog pet).
     */
    private void register(KvmSettings s, List<Vm> found) {
        List<Vm> guests = found.stream().sorted(java.util.Comparator.comparing((Vm vm) -> vm.name)).toList();
        synchronized (registrationLock) {
            ServiceRegistration<HypervisorBridge> previous = registration;
            SchedExtEnforcer x = schedExt;
            KvmBridge b = new KvmBridge(guests, s.hostCpus(), s.tickNanos(), s.applyAffinity(), kernel, proc, x);
            Dictionary<String, Object> props = new Hashtable<>();
            props.put(HypervisorBridge.NAME_PROPERTY, b.name());
            props.put("isochron.kvm.guests", guests.stream().map(vm -> vm.name).toArray(String[]::new));
            registration = context.registerService(HypervisorBridge.class, b, props);
            KvmBridge old = bridge;
            bridge = b;
            unregister(previous);
            if (old != null) {
                // threads of guests that went: the kernel scheduler's table is not left to fill up
                Set<Integer> kept = Arrays.stream(b.vcpuThreads()).boxed().collect(Collectors.toSet());
                Arrays.stream(old.vcpuThreads()).filter(t -> !kept.contains(t)).forEach(x::forget);
            }
        }
    }

    private void unregister() {
        synchronized (registrationLock) {
            unregister(registration);
            registration = null;
            bridge = null;
        }
    }

    private static void unregister(ServiceRegistration<HypervisorBridge> r) {
        if (r != null) {
            try {
                r.unregister();
            } catch (IllegalStateException alreadyGone) {
                // the framework is stopping
            }
        }
    }

    /** Gogo command {@code isochron:guests}. */
    public String guests() {
        GuestWatcher w;
        KvmSettings s;
        synchronized (this) {
            w = watcher;
            s = settings;
        }
        return w == null ? "KVM bridge stopped" : GuestsReport.of(s, w.guests(), bridge, schedExt, proc);
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
}
