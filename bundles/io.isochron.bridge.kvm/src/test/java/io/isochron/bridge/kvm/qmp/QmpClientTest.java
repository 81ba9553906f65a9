package io.isochron.bridge.kvm.qmp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.isochron.bridge.kvm.host.ProcFs;
import io.isochron.bridge.kvm.testing.Qemu;
import io.isochron.bridge.kvm.testing.RecordingListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Against a real QEMU started per test (paused, no guest). */
class QmpClientTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private final RecordingListener listener = new RecordingListener();
    private final ProcFs proc = new ProcFs();
    private Qemu qemu;
    private QmpClient qmp;

    @BeforeEach
    void boot() throws Exception {
        qemu = Qemu.start(dir);
        qmp = QmpClient.connect(qemu.qmpSocket(), TIMEOUT, listener);
    }

    @AfterEach
    void shutdown() throws Exception {
        qmp.close();
        qemu.close();
    }

    @Test
    void greetingNegotiationAndStatusOfAPausedVm() throws Exception {
        assertThat(qmp.qemuVersion()).matches("\\d+\\.\\d+\\.\\d+");
        assertThat(qmp.isConnected()).isTrue();
        // -S: created but never started.
        assertThat(qmp.queryStatus()).isEqualTo(new VmStatus(false, "prelaunch"));
    }

    @Test
    void vcpuThreadIdsAreThreadsOfQemuNamedByDebugThreads() throws Exception {
        List<VcpuThread> vcpus = qmp.queryCpusFast();

        assertThat(vcpus).extracting(VcpuThread::cpuIndex).containsExactly(0, 1);
        assertThat(vcpus).extracting(VcpuThread::threadId).doesNotHaveDuplicates().doesNotContain(qemu.pid());
        for (VcpuThread v : vcpus) {
            assertThat(proc.threads(qemu.pid())).contains(v.threadId());
            assertThat(proc.comm(qemu.pid(), v.threadId())).hasValueSatisfying(
                    comm -> assertThat(comm).matches("CPU " + v.cpuIndex() + "/(KVM|TCG)"));
        }
    }

    @Test
    void iothreadsAndThePtyChardevAreReported() throws Exception {
        List<IoThread> iothreads = qmp.queryIothreads();
        assertThat(iothreads).extracting(IoThread::id).containsExactly("io0");
        assertThat(proc.comm(qemu.pid(), iothreads.get(0).threadId())).contains("IO io0");

        Chardev pv0 = qmp.queryChardev().stream().filter(c -> c.label().equals("pv0")).findFirst().orElseThrow();
        assertThat(pv0.filename()).startsWith("pty:/dev/pts/");
        assertThat(pv0.ptyPath()).hasValueSatisfying(pty -> assertThat(Files.exists(pty)).isTrue());
        assertThat(pv0.frontendOpen()).isTrue();
    }

    @Test
    void contAndStopArriveAsResumeAndStopEvents() throws Exception {
        qmp.execute("cont");
        assertThat(listener.nextEvent()).satisfies(e -> {
            assertThat(e.name()).isEqualTo("RESUME");
            assertThat(e.timestamp()).isAfter(Instant.EPOCH);
        });
        assertThat(qmp.queryStatus()).isEqualTo(new VmStatus(true, "running"));

        qmp.execute("stop");
        assertThat(listener.nextEvent().name()).isEqualTo("STOP");
        assertThat(qmp.queryStatus()).isEqualTo(new VmStatus(false, "paused"));
    }

    @Test
    void qemuErrorsAreTypedAndLeaveTheConnectionUsable() throws Exception {
        assertThatThrownBy(() -> qmp.execute("no-such-command"))
                .isInstanceOfSatisfying(QmpException.class, e -> {
                    assertThat(e.reason()).isEqualTo(QmpException.Reason.COMMAND_FAILED);
                    assertThat(e.errorClass()).contains("CommandNotFound");
                    assertThat(e.command()).isEqualTo("no-such-command");
                    assertThat(e.getMessage()).contains("no-such-command");
                });
        assertThatThrownBy(() -> qmp.execute("stop", Map.of("bogus", 1)))
                .isInstanceOfSatisfying(QmpException.class, e -> {
                    assertThat(e.reason()).isEqualTo(QmpException.Reason.COMMAND_FAILED);
                    assertThat(e.errorClass()).contains("GenericError");
                    assertThat(e.getMessage()).contains("bogus");
                });

        assertThat(qmp.queryStatus().status()).isEqualTo("prelaunch");
    }

    @Test
    void aFrozenQemuTimesOutAndItsLateAnswerIsNotMistakenForTheNext() throws Exception {
        qemu.signal("STOP");
        try {
            assertThatThrownBy(() -> qmp.execute("query-cpus-fast", Map.of(), Duration.ofMillis(300)))
                    .isInstanceOfSatisfying(QmpException.class,
                            e -> assertThat(e.reason()).isEqualTo(QmpException.Reason.TIMEOUT));
        } finally {
            qemu.signal("CONT");
        }
        // The late query-cpus-fast answer (an array) arrives first and must be dropped by its id.
        assertThat(qmp.queryStatus()).isEqualTo(new VmStatus(false, "prelaunch"));
    }

    @Test
    void killedQemuEndsTheConnectionWithOneDisconnectAndNoStorm() throws Exception {
        qemu.kill();

        assertThat(listener.nextDisconnect()).startsWith("QEMU closed the socket");
        assertThat(qmp.isConnected()).isFalse();
        assertThatThrownBy(() -> qmp.queryStatus()).isInstanceOfSatisfying(QmpException.class,
                e -> assertThat(e.reason()).isEqualTo(QmpException.Reason.DISCONNECTED));
        qmp.close();
        assertThat(listener.pendingDisconnects()).isZero();
        assertThat(listener.pendingEvents()).isZero();
    }

    @Test
    void quitReportsShutdownAndThenTheDisconnect() throws Exception {
        qmp.execute("quit");

        assertThat(listener.nextEvent()).satisfies(e -> {
            assertThat(e.name()).isEqualTo("SHUTDOWN");
            assertThat(e.data().path("reason").asText()).isEqualTo("host-qmp-quit");
        });
        assertThat(listener.nextDisconnect()).isNotNull();
        assertThat(qemu.waitForExit(10)).isTrue();
    }

    @Test
    void closingTellsTheListenerAndReconnectOpensANewSession() throws Exception {
        qmp.close();
        assertThat(listener.nextDisconnect()).isEqualTo("closed by the client");

        qmp = qmp.reconnect();

        assertThat(qmp.queryStatus().status()).isEqualTo("prelaunch");
    }

    @Test
    void connectingToASocketNobodyServesFailsAfterTheTimeout() {
        Path absent = dir.resolve("absent.sock");
        assertThatThrownBy(() -> QmpClient.connect(absent, Duration.ofMillis(200), listener))
                .isInstanceOfSatisfying(QmpException.class, e -> {
                    assertThat(e.reason()).isEqualTo(QmpException.Reason.DISCONNECTED);
                    assertThat(e.command()).isEqualTo("connect");
                    assertThat(e.getMessage()).contains(absent.toString());
                });
    }
}
