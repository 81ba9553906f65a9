package io.isochron.bridge.kvm.schedext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isochron.api.IoCategory;
import io.isochron.api.runtime.Enforcement;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SchedExtEnforcerTest {
    private static final long RETRY = TimeUnit.MILLISECONDS.toNanos(200);

    @TempDir
    Path dir;

    private Path sysfs() throws Exception {
        return Files.createDirectories(dir.resolve("sched_ext"));
    }

    @Test
    void autoWithoutSchedExtInTheKernelIsAffinityAndNoProblem() {
        try (SchedExtEnforcer e = new SchedExtEnforcer(EnforcementMode.AUTO, dir.resolve("scx.sock"),
                dir.resolve("absent"), RETRY).start()) {
            await().atMost(Duration.ofSeconds(10)).until(() -> e.enforcement(true).schedExtState().contains("no sched_ext"));
            Enforcement en = e.enforcement(true);
            assertThat(en.backend()).isEqualTo(Enforcement.AFFINITY);
            assertThat(en.schedExtState()).isEqualTo("not attached: this kernel has no sched_ext (" + dir.resolve("absent")
                    + " is missing)");
            assertThat(e.problem()).isEmpty();
            assertThat(e.inForce()).isFalse();
        }
    }

    @Test
    void schedExtAskedForButNoServiceIsAHealthProblem() throws Exception {
        Path sock = dir.resolve("scx.sock");
        try (SchedExtEnforcer e = new SchedExtEnforcer(EnforcementMode.SCHED_EXT, sock, sysfs(), RETRY).start()) {
            await().atMost(Duration.ofSeconds(10)).until(() -> !e.problem().isEmpty());
            assertThat(e.problem()).startsWith("sched_ext not in force, vCPU threads are pinned instead: no sched_ext "
                    + "service at " + sock + " (isochron-scx serve is not running); trying again in ");
        }
    }

    @Test
    void attachesPassesPolicyAndCategoriesAndReadsTheKernelCounters() throws Exception {
        Path sock = dir.resolve("scx.sock");
        try (FakeSchedExtService service = new FakeSchedExtService(sock);
                SchedExtEnforcer e = new SchedExtEnforcer(EnforcementMode.AUTO, sock, sysfs(), RETRY)) {
            e.policy("interference-aware", 25);
            e.start();
            await().atMost(Duration.ofSeconds(10)).until(e::inForce);
            assertThat(e.generation()).isEqualTo(1);
            e.thread(4242, IoCategory.BUS);
            e.thread(4243, IoCategory.NONE);
            e.forget(4100);
            e.policy("edf-refinement", 0);
            e.policy("shortest-queue", 0);
            await().atMost(Duration.ofSeconds(10)).until(() -> e.enforcement(true).schedExt() != null
                    && service.received.contains("mode shortest-queue"));
            assertThat(service.received).containsSubsequence("attach", "mode interference-aware 25", "thread 4242 5",
                    "thread 4243 0", "forget 4100", "mode edf-refinement", "mode shortest-queue");
            Enforcement en = e.enforcement(true);
            assertThat(en.backend()).isEqualTo(Enforcement.SCHED_EXT);
            assertThat(en.schedExtState()).startsWith("ops isochron, attached in 0.42 s; mode ")
                    .as("the kernel's own counts per category (code 1 = GPU, 2 = RAM)")
                    .endsWith("; by category: GPU 0.0 s run, 10 dispatches, RAM 0.0 s run, 5 dispatches");
            assertThat(en.schedExt()).isEqualTo(new Enforcement.SchedExtCounters(15, 2.5, 1, 2));
            assertThat(e.problem()).isEmpty();
            assertThat(e.enforcement(false).backend()).as("applyAffinity = false").isEqualTo(Enforcement.NONE);
            service.send("error thread 4244: no such thread");
            await().atMost(Duration.ofSeconds(10)).until(() -> !e.fault().isEmpty());
            assertThat(e.fault()).isEqualTo("1 vCPU threads not taken by the kernel scheduler so far; last: thread 4244: "
                    + "no such thread");
        }
    }

    @Test
    void anEjectionFallsBackAtOnceReportsTheKernelsReasonAndAttachesAgain() throws Exception {
        Path sock = dir.resolve("scx.sock");
        try (FakeSchedExtService service = new FakeSchedExtService(sock);
                SchedExtEnforcer e = new SchedExtEnforcer(EnforcementMode.AUTO, sock, sysfs(), RETRY).start()) {
            await().atMost(Duration.ofSeconds(10)).until(e::inForce);
            service.send("ejected 1026 runnable task stall: qemu-system-x86[812] failed to run for 15.1s");
            await().atMost(Duration.ofSeconds(10)).until(() -> !e.inForce());
            assertThat(e.problem()).isEqualTo("sched_ext not in force, vCPU threads are pinned instead: the kernel "
                    + "ejected the scheduler: runnable task stall: qemu-system-x86[812] failed to run for 15.1s; trying "
                    + "again in 200 ms");
            assertThat(e.enforcement(true).backend()).isEqualTo(Enforcement.AFFINITY);
            e.thread(1, IoCategory.GPU); // not in force: nothing is sent
            await().atMost(Duration.ofSeconds(10)).until(() -> e.generation() == 2 && e.inForce());
            assertThat(service.received).doesNotContain("thread 1 1");
            assertThat(e.problem()).isEmpty();
            assertThat(e.fault()).isEmpty();
        }
    }

    @Test
    void aServiceThatGoesOrRefusesIsReportedWithItsWords() throws Exception {
        Path sock = dir.resolve("scx.sock");
        try (FakeSchedExtService service = new FakeSchedExtService(sock);
                SchedExtEnforcer e = new SchedExtEnforcer(EnforcementMode.SCHED_EXT, sock, sysfs(), RETRY).start()) {
            await().atMost(Duration.ofSeconds(10)).until(e::inForce);
            service.attachReply = "error attach: cannot attach the scheduler: Device or resource busy (another sched_ext "
                    + "scheduler is attached)";
            service.dropClient();
            await().atMost(Duration.ofSeconds(10)).until(() -> e.problem().contains("Device or resource busy"));
            assertThat(e.problem()).startsWith("sched_ext not in force, vCPU threads are pinned instead: the sched_ext "
                    + "scheduler could not be attached: attach: cannot attach the scheduler: Device or resource busy");
        }
    }

    @Test
    void aServiceThatStopsReadingNeverHoldsTheDecisionThread() throws Exception {
        Path sock = dir.resolve("scx.sock");
        try (FakeSchedExtService service = new FakeSchedExtService(sock);
                SchedExtEnforcer e = new SchedExtEnforcer(EnforcementMode.AUTO, sock, sysfs(), TimeUnit.HOURS.toNanos(1))) {
            service.hangAfterAttach = true;
            e.start();
            await().atMost(Duration.ofSeconds(10)).until(e::inForce);
            long t0 = System.nanoTime();
            for (int i = 0; i < 1_000_000 && e.inForce(); i++) {
                e.thread(100_000 + i % 1000, IoCategory.values()[i % 7]);
            }
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("writes fail instead of waiting")
                    .isLessThan(Duration.ofSeconds(30));
            assertThat(e.inForce()).isFalse();
            await().atMost(Duration.ofSeconds(10)).until(() -> e.problem().contains("the service is not reading"));
        }
    }

    @Test
    void modeForEachPolicy() {
        assertThat(SchedExtEnforcer.modeCommand("interference-aware", 0)).isEqualTo("mode interference-aware 0");
        assertThat(SchedExtEnforcer.modeCommand("interference-aware", 49.6)).isEqualTo("mode interference-aware 50");
        assertThat(SchedExtEnforcer.modeCommand("edf-refinement", 25)).isEqualTo("mode edf-refinement");
        assertThat(SchedExtEnforcer.modeCommand("edf", 0)).isEqualTo("mode edf");
        assertThat(SchedExtEnforcer.modeCommand("shortest-queue", 0)).isEqualTo("mode shortest-queue");
        assertThat(SchedExtEnforcer.code(IoCategory.NONE)).isZero();
        assertThat(SchedExtEnforcer.code(IoCategory.GPU)).isEqualTo(1);
        assertThat(SchedExtEnforcer.code(IoCategory.STORAGE)).isEqualTo(6);
    }
}
