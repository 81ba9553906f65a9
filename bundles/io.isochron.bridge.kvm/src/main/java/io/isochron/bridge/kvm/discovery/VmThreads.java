package io.isochron.bridge.kvm.discovery;

import java.util.List;

/** The host threads of one QEMU process, classified, as seen at one moment. */
public record VmThreads(int qemuPid, List<HostThread> threads) {
    public VmThreads {
        threads = List.copyOf(threads);
    }

    public List<HostThread> withRole(ThreadRole role) {
        return threads.stream().filter(t -> t.role() == role).toList();
    }
}
