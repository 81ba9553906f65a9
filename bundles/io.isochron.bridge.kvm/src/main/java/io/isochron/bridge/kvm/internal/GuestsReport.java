package io.isochron.bridge.kvm.internal;

import io.isochron.api.IoCategory;
import io.isochron.api.runtime.Enforcement;
import io.isochron.bridge.kvm.discovery.HostThread;
import io.isochron.bridge.kvm.discovery.ThreadRole;
import io.isochron.bridge.kvm.discovery.VmThreadDiscovery;
import io.isochron.bridge.kvm.discovery.VmThreads;
import io.isochron.bridge.kvm.host.ProcFs;
import io.isochron.bridge.kvm.schedext.SchedExtEnforcer;
import java.util.List;
import java.util.Locale;

/**
 * The text of Gogo {@code isochron:guests}: how decisions are enforced (with the sched_ext
 * scheduler's own counters per category while it is), every guest with its QEMU process, vCPU threads
 * (category, placement, applied affinity or reservation), channel counters and its other host threads
 * with their CPU time.
 */
final class GuestsReport {
    private GuestsReport() {}

    /** @param bridge the bridge scheduling {@code guests}, or null while none is registered */
    static String of(KvmSettings settings, List<Vm> guests, KvmBridge bridge, SchedExtEnforcer schedExt, ProcFs proc) {
        StringBuilder b = new StringBuilder();
        Enforcement e = schedExt.enforcement(settings.applyAffinity());
        b.append("enforcement ").append(e.backend()).append("  sched_ext: ").append(e.schedExtState()).append('\n');
        if (e.schedExt() != null) {
            kernelCounters(b, schedExt.perCategory());
        }
        if (guests.isEmpty()) {
            return b.append("no guests (watching ").append(settings.watched()).append(')').toString();
        }
        if (bridge != null) {
            b.append(bridge.frameToAffinity()).append('\n');
        }
        for (Vm vm : guests) {
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

    /** The kernel scheduler's own counters per category (the shell's view; telemetry has the sums). */
    private static void kernelCounters(StringBuilder b, long[] c) {
        int n = SchedExtEnforcer.STATS_PER_CATEGORY;
        b.append(String.format(Locale.ROOT, "  %-9s %10s %12s %8s %11s %9s %11s %11s %8s %8s%n", "category", "run s",
                "co-running s", "events", "dispatches", "refused", "unadmitted", "violations", "jobs", "missed"));
        for (int k = 0; k <= IoCategory.COMPONENT_COUNT && (k + 1) * n <= c.length; k++) {
            int at = k * n;
            b.append(String.format(Locale.ROOT, "  %-9s %10.3f %12.3f %8d %11d %9d %11d %11d %8d %8d%n",
                    SchedExtEnforcer.category(k), c[at] / 1e9, c[at + 1] / 1e9, c[at + 2],
                    c[at + 3], c[at + 4], c[at + 5], c[at + 6], c[at + 7], c[at + 8]));
        }
    }
}
