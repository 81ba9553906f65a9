package io.isochron.bridge.kvm.internal;

import io.isochron.bridge.kvm.discovery.HostThread;
import io.isochron.bridge.kvm.discovery.ThreadRole;
import io.isochron.bridge.kvm.discovery.VmThreadDiscovery;
import io.isochron.bridge.kvm.discovery.VmThreads;
import io.isochron.bridge.kvm.host.ProcFs;
import java.util.List;

/**
 * The text of Gogo {@code isochron:guests}: every guest with its QEMU process, vCPU threads
 * (category, placement, applied affinity or reservation), channel counters and its other host threads
 * with their CPU time.
 */
final class GuestsReport {
    private GuestsReport() {}

    /** @param bridge the bridge scheduling {@code guests}, or null while none is registered */
    static String of(KvmSettings settings, List<Vm> guests, KvmBridge bridge, ProcFs proc) {
        if (guests.isEmpty()) {
            return "no guests (watching " + settings.watched() + ")";
        }
        StringBuilder b = new StringBuilder();
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
}
