package io.isochron.bridge.kvm.discovery;

import io.isochron.bridge.kvm.host.SchedStat;

/**
 * One host thread of a VM. {@code pid} is the process whose /proc/&lt;pid&gt;/task holds it (QEMU's,
 * or a kernel vhost worker's own). {@code id} is the vCPU's cpu-index for VCPU, the iothread's id
 * for IOTHREAD, and empty otherwise; {@code comm} is the kernel's thread name.
 */
public record HostThread(int pid, int tid, ThreadRole role, String id, String comm, SchedStat schedStat) {
}
