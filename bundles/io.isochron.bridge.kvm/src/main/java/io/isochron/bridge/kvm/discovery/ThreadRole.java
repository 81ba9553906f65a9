package io.isochron.bridge.kvm.discovery;

/** What a host thread does for a VM. */
public enum ThreadRole {
    /** Runs one vCPU (QMP query-cpus-fast thread-id). */
    VCPU,
    /** An {@code -object iothread} (QMP query-iothreads thread-id). */
    IOTHREAD,
    /** A vhost worker ({@code vhost-<qemu pid>}): virtio data path in the kernel. */
    VHOST,
    /** QEMU's main loop: the thread whose id is the process id. */
    MAIN_LOOP,
    /** Anything else (RCU, worker pools, ...). */
    OTHER
}
