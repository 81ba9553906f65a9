package io.isochron.bridge.kvm.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.isochron.bridge.kvm.host.ProcFs;
import io.isochron.bridge.kvm.qmp.QmpClient;
import io.isochron.bridge.kvm.qmp.VcpuThread;
import io.isochron.bridge.kvm.testing.Qemu;
import io.isochron.bridge.kvm.testing.RecordingListener;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VmThreadDiscoveryTest {
    @TempDir
    Path dir;

    private final VmThreadDiscovery discovery = new VmThreadDiscovery(new ProcFs());

    @Test
    void classifiesTheThreadsOfARealQemu() throws Exception {
        try (Qemu qemu = Qemu.start(dir);
                QmpClient qmp = QmpClient.connect(qemu.qmpSocket(), Duration.ofSeconds(20), new RecordingListener())) {
            List<VcpuThread> vcpus = qmp.queryCpusFast();

            VmThreads vm = discovery.discover(qmp);

            assertThat(vm.qemuPid()).isEqualTo(qemu.pid());
            assertThat(vm.withRole(ThreadRole.VCPU)).hasSize(2).allSatisfy(t -> {
                VcpuThread v = vcpus.get(Integer.parseInt(t.id()));
                assertThat(t.tid()).isEqualTo(v.threadId());
                assertThat(t.pid()).isEqualTo(qemu.pid());
                assertThat(t.comm()).matches("CPU " + v.cpuIndex() + "/(KVM|TCG)");
            });
            assertThat(vm.withRole(ThreadRole.IOTHREAD)).singleElement()
                    .satisfies(t -> assertThat(t.id()).isEqualTo("io0"));
            assertThat(vm.withRole(ThreadRole.MAIN_LOOP)).singleElement().satisfies(t -> {
                assertThat(t.tid()).isEqualTo(qemu.pid());
                assertThat(t.schedStat().runNanos()).isPositive();
            });
            // This VM has no vhost device.
            assertThat(vm.withRole(ThreadRole.VHOST)).isEmpty();
            assertThat(vm.threads()).extracting(HostThread::tid).doesNotHaveDuplicates();

            qmp.execute("cont");
            int vcpu0 = vcpus.get(0).threadId();
            assertThat(runNanosOnceNonZero(qemu.pid(), vcpu0)).as("CPU time of vCPU 0 once it runs (it spins)")
                    .isPositive();
        }
    }

    /** Waits (at most 10 s) for the thread's first CPU time: a continued vCPU 0 spins. */
    private long runNanosOnceNonZero(int pid, int tid) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        long run = 0;
        while (run == 0 && System.nanoTime() < deadline) {
            VmThreads vm = discovery.discover(pid, List.of(), List.of());
            run = vm.threads().stream().filter(t -> t.tid() == tid).mapToLong(t -> t.schedStat().runNanos())
                    .findFirst().orElse(0);
            Thread.sleep(20);
        }
        return run;
    }

    @Test
    void noLiveVcpuThreadMeansNoQemuPid() {
        assertThat(discovery.qemuPid(List.of())).isEmpty();
    }
}
