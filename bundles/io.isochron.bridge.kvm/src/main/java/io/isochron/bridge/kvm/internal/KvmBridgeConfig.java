package io.isochron.bridge.kvm.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;

@ObjectClassDefinition(name = "Isochron KVM bridge",
        description = "Finds QEMU guests by their QMP sockets, reads their paravirtual channels and applies the "
                + "scheduler's placements to their vCPU threads")
public @interface KvmBridgeConfig {
    @AttributeDefinition(name = "QMP directory", description = "Directory watched for QMP sockets (*.qmp); "
            + "a guest is named after its socket file. Empty: none")
    String qmpDirectory() default "/run/isochron/vms";

    @AttributeDefinition(name = "QMP sockets", description = "Further QMP socket paths, each as name=path or path")
    String[] qmpSockets() default {};

    @AttributeDefinition(name = "Channel chardev", description = "Label of the QEMU chardev (a pty) that carries "
            + "the guest agent's frames, e.g. -chardev pty,id=pv0 -serial chardev:pv0")
    String channelChardev() default "pv0";

    @AttributeDefinition(name = "Host CPUs", description = "Host CPUs the scheduler places vCPUs on, as a list "
            + "such as 0-3 or 2,3; empty: every CPU the appliance may use")
    String cpus() default "";

    @AttributeDefinition(name = "Tick (ms)", description = "Decision round, normally the guests' summary "
            + "interval; 10..10000")
    int tickMillis() default 100;

    @AttributeDefinition(name = "Apply affinity", description = "Pin vCPU threads as decided; off: decide and "
            + "report only")
    boolean applyAffinity() default true;

    @AttributeDefinition(name = "Enforcement", description = "How decisions are put in force: sched_ext (Isochron's "
            + "BPF scheduler in the kernel decides at every dispatch; when it cannot, affinity and a Health problem), "
            + "affinity (vCPU threads pinned every tick), auto (sched_ext where the kernel and the service offer it)",
            options = {@Option(label = "auto", value = "auto"), @Option(label = "sched_ext", value = "sched_ext"),
                @Option(label = "affinity", value = "affinity")})
    String enforcement() default "auto";

    @AttributeDefinition(name = "sched_ext service", description = "Socket of isochron-scx serve, which attaches "
            + "the BPF scheduler for the bridge")
    String schedExtSocket() default "/run/isochron/scx.sock";

    @AttributeDefinition(name = "Channel rate limit", description = "Frames per second accepted from one guest; "
            + "the excess is dropped and counted")
    int channelFramesPerSecond() default 50;

    @AttributeDefinition(name = "Component bandwidths", description = "Bytes per second that count as 100 % of "
            + "each shared component, in the order GPU, RAM, CACHE, ETHERNET, BUS, STORAGE")
    String[] componentBytesPerSecond() default {"1000000000", "10000000000", "50000000000", "125000000", "11520",
        "200000000"};

    @AttributeDefinition(name = "Reservations", description = "SCHED_DEADLINE reservations for vCPU threads, each "
            + "VM/vcpuN=RUNTIME/PERIOD[,deadline=D][,reclaim][@CPUS], e.g. plc1/vcpu0=2ms/10ms or "
            + "plc1/vcpu1=2ms/10ms@1 (in an exclusive cpuset partition of CPU 1); applied when the guest is found. "
            + "A reserved vCPU is not pinned by placement decisions")
    String[] reservations() default {};
}
