package io.isochron.bridge.kvm.qmp;

/** One entry of {@code query-cpus-fast}: a vCPU and the host thread that runs it. */
public record VcpuThread(int cpuIndex, int threadId, String qomPath) {
}
