package io.isochron.opcua.internal;

import io.isochron.api.IoCategory;
import io.isochron.api.runtime.Health;
import io.isochron.api.runtime.PolicyControl;
import io.isochron.api.runtime.SchedulerState;
import io.isochron.api.runtime.SchedulerStateSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** An in-memory scheduler: the state the server publishes and the policy switch it calls. */
final class FakeAppliance implements SchedulerStateSource, PolicyControl {
    static final List<String> POLICIES = List.of("edf-refinement", "interference-aware", "shortest-queue");

    private volatile String policy = "interference-aware";
    private volatile double overlap;
    private volatile List<String> vms = List.of("plc1", "hmi");
    private volatile long decisions = 42;
    private volatile Health health = Health.NORMAL;
    final AtomicInteger switches = new AtomicInteger();

    @Override
    public synchronized String switchPolicy(String name, double overlapPercent) {
        if (!(overlapPercent >= 0 && overlapPercent <= 100)) {
            throw new IllegalArgumentException(
                    "property 'overlapPercent' = " + overlapPercent + " is outside the allowed range 0..100");
        }
        if (name == null || !POLICIES.contains(name)) {
            throw new IllegalArgumentException("property 'policy' = '" + name
                    + "' is not a registered policy (allowed: " + String.join(", ", POLICIES) + ")");
        }
        String previous = policy;
        policy = name;
        overlap = overlapPercent;
        switches.incrementAndGet();
        return previous;
    }

    @Override
    public ActivePolicy active() {
        return new ActivePolicy(policy, overlap, policy);
    }

    @Override
    public List<String> available() {
        return POLICIES;
    }

    void vms(String... names) {
        vms = List.of(names);
    }

    void health(Health h) {
        health = h;
    }

    void decisions(long n) {
        decisions = n;
    }

    /** Four pCPUs; every VM has two vCPUs, vCPU 0 running on pCPU (VM index), vCPU 1 idle. */
    @Override
    public SchedulerState snapshot() {
        List<SchedulerState.Pcpu> pcpus = new ArrayList<>();
        List<SchedulerState.Vcpu> vcpus = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            String running = i < vms.size() ? vms.get(i) + "/0" : "";
            pcpus.add(new SchedulerState.Pcpu(i, running, running.isEmpty() ? IoCategory.NONE : IoCategory.ETHERNET,
                    running.isEmpty() ? 0 : 50));
        }
        for (int v = 0; v < vms.size(); v++) {
            vcpus.add(new SchedulerState.Vcpu(vms.get(v), 0, IoCategory.ETHERNET, SchedulerState.VcpuState.RUNNING,
                    v % 4, 20));
            vcpus.add(new SchedulerState.Vcpu(vms.get(v), 1, IoCategory.NONE, SchedulerState.VcpuState.IDLE, -1, 0));
        }
        List<SchedulerState.Component> components = new ArrayList<>();
        for (int c = 0; c < IoCategory.COMPONENT_COUNT; c++) {
            components.add(new SchedulerState.Component(IoCategory.component(c), 10 * c, 113, 0.5 * c));
        }
        return new SchedulerState(System.currentTimeMillis(), "fake", policy, overlap, policy, decisions, 0.75,
                health, "", pcpus, vcpus, components);
    }
}
