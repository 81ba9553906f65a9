package io.isochron.bridge.kvm.discovery;

import io.isochron.bridge.kvm.host.ProcFs;
import io.isochron.bridge.kvm.host.SchedStat;
import io.isochron.bridge.kvm.qmp.IoThread;
import io.isochron.bridge.kvm.qmp.QmpClient;
import io.isochron.bridge.kvm.qmp.QmpException;
import io.isochron.bridge.kvm.qmp.VcpuThread;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Finds and classifies the host threads of a QEMU process: vCPU and iothreads by the thread ids QMP
 * reports, the main loop by tid == pid, vhost workers by their name {@code vhost-<qemu pid>}. Since
 * Linux 6.4 vhost workers are tasks of the QEMU process itself; before that (and in the kthread
 * mode of vhost's fork-owner control) they are kernel threads of their own, so both places are
 * searched. Threads that vanish while being read are left out.
 */
public final class VmThreadDiscovery {
    private final ProcFs proc;

    public VmThreadDiscovery(ProcFs proc) {
        this.proc = proc;
    }

    /** Asks QEMU for its vCPU and iothreads and classifies the threads of its process. */
    public VmThreads discover(QmpClient qmp) throws QmpException {
        return discover(qmp, qmp.queryCpusFast());
    }

    /** As {@link #discover(QmpClient)}, with the vCPU threads the caller already asked QEMU for. */
    public VmThreads discover(QmpClient qmp, List<VcpuThread> vcpus) throws QmpException {
        OptionalInt pid = qemuPid(vcpus);
        if (pid.isEmpty()) {
            throw new IllegalStateException("none of the vCPU threads " + vcpus + " exists on this host");
        }
        return discover(pid.getAsInt(), vcpus, qmp.queryIothreads());
    }

    /**
     * QMP does not report QEMU's process id; the process owning a vCPU thread is QEMU. Empty if no
     * vCPU thread exists (any more).
     */
    public OptionalInt qemuPid(List<VcpuThread> vcpus) {
        for (VcpuThread v : vcpus) {
            OptionalInt pid = proc.threadGroup(v.threadId());
            if (pid.isPresent()) {
                return pid;
            }
        }
        return OptionalInt.empty();
    }

    public VmThreads discover(int qemuPid, List<VcpuThread> vcpus, List<IoThread> iothreads) {
        Map<Integer, String> vcpuIds = new HashMap<>();
        vcpus.forEach(v -> vcpuIds.put(v.threadId(), Integer.toString(v.cpuIndex())));
        Map<Integer, String> iothreadIds = new HashMap<>();
        iothreads.forEach(t -> iothreadIds.put(t.threadId(), t.id()));
        String vhostName = "vhost-" + qemuPid;

        List<HostThread> found = new ArrayList<>();
        for (int tid : proc.threads(qemuPid)) {
            read(qemuPid, tid).ifPresent(facts -> {
                ThreadRole role;
                String id = "";
                if (vcpuIds.containsKey(tid)) {
                    role = ThreadRole.VCPU;
                    id = vcpuIds.get(tid);
                } else if (iothreadIds.containsKey(tid)) {
                    role = ThreadRole.IOTHREAD;
                    id = iothreadIds.get(tid);
                } else if (tid == qemuPid) {
                    role = ThreadRole.MAIN_LOOP;
                } else if (facts.comm().equals(vhostName)) {
                    role = ThreadRole.VHOST;
                } else {
                    role = ThreadRole.OTHER;
                }
                found.add(new HostThread(qemuPid, tid, role, id, facts.comm(), facts.schedStat()));
            });
        }
        for (int pid : proc.processes()) {
            // The name first: reading every process's schedstat would cost a file per process.
            if (pid != qemuPid && proc.comm(pid, pid).filter(vhostName::equals).isPresent()) {
                read(pid, pid).ifPresent(facts ->
                        found.add(new HostThread(pid, pid, ThreadRole.VHOST, "", facts.comm(), facts.schedStat())));
            }
        }
        return new VmThreads(qemuPid, found);
    }

    private record Facts(String comm, SchedStat schedStat) {
    }

    private Optional<Facts> read(int pid, int tid) {
        return proc.comm(pid, tid).flatMap(comm -> proc.schedStat(pid, tid).map(stat -> new Facts(comm, stat)));
    }
}
