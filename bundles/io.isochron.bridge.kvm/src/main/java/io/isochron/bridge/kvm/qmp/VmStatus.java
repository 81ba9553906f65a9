package io.isochron.bridge.kvm.qmp;

/**
 * {@code query-status}: whether the guest's vCPUs run, and QEMU's RunState name ({@code running},
 * {@code paused}, {@code prelaunch} for {@code -S}, {@code shutdown}, ...).
 */
public record VmStatus(boolean running, String status) {
}
