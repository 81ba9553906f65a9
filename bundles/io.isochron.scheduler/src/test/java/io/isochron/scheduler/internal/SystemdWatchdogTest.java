package io.isochron.scheduler.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.isochron.api.IoCategory;
import io.isochron.api.runtime.Health;
import io.isochron.api.runtime.SchedulerState;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SystemdWatchdogTest {
    private final List<String> sent = new ArrayList<>();
    private SchedulerState current = state(Health.FAILURE, 0, SchedulerState.VcpuState.IDLE);

    private SystemdWatchdog watchdog(Map<String, String> env) {
        SystemdWatchdog w = new SystemdWatchdog(env, (socket, message) -> sent.add(message));
        w.state = () -> current;
        return w;
    }

    private static SchedulerState state(Health health, long decisions, SchedulerState.VcpuState vcpu) {
        return new SchedulerState(0, "sim", "edf", 0, "edf", decisions, 0, health, health == Health.FAILURE ? "no bridge" : "",
                List.of(), List.of(new SchedulerState.Vcpu("plc", 0, IoCategory.BUS, vcpu, 0, 30)), List.of());
    }

    @Test
    void outsideSystemdItStaysSilent() {
        SystemdWatchdog w = watchdog(Map.of());
        w.activate();
        w.deactivate();
        assertThat(sent).isEmpty();
    }

    @Test
    void announcesReadinessOnceTheSchedulerDecidesAndPetsAtHalfTheInterval() {
        SystemdWatchdog w = watchdog(Map.of("NOTIFY_SOCKET", "/run/test.sock", "WATCHDOG_USEC", "2000000"));
        w.configure(); // no timer: the test drives tick() by hand
        current = state(Health.FAILURE, 0, SchedulerState.VcpuState.IDLE);
        w.tick(0);
        assertThat(sent).isEmpty();
        current = state(Health.NORMAL, 5, SchedulerState.VcpuState.READY);
        w.tick(100_000_000L);
        assertThat(sent).containsExactly("READY=1");
        current = state(Health.NORMAL, 9, SchedulerState.VcpuState.READY);
        w.tick(600_000_000L);
        assertThat(sent).containsExactly("READY=1");
        w.tick(1_100_000_000L);
        assertThat(sent).containsExactly("READY=1", "WATCHDOG=1");
    }

    @Test
    void saysStoppingWhenDeactivated() {
        SystemdWatchdog w = watchdog(Map.of("NOTIFY_SOCKET", "/run/test.sock"));
        w.activate();
        w.deactivate();
        assertThat(sent).endsWith("STOPPING=1");
    }

    @Test
    void petsOnlyWhileDecisionsAdvance() {
        SystemdWatchdog w = watchdog(Map.of("NOTIFY_SOCKET", "/run/test.sock", "WATCHDOG_USEC", "2000000"));
        assertThat(w.watchdogMicros()).isEqualTo(2_000_000);
        current = state(Health.NORMAL, 10, SchedulerState.VcpuState.READY);
        w.check();
        current = state(Health.NORMAL, 20, SchedulerState.VcpuState.READY);
        w.check();
        // Stuck: same count while a vCPU waits.
        w.check();
        w.check();
        // Nothing waiting: no decision needed, still healthy.
        current = state(Health.NORMAL, 20, SchedulerState.VcpuState.IDLE);
        w.check();
        current = state(Health.FAILURE, 30, SchedulerState.VcpuState.IDLE);
        w.check();
        assertThat(sent).containsExactly("WATCHDOG=1", "WATCHDOG=1", "WATCHDOG=1");
    }

    @Test
    void systemdNotifyReachesTheNotificationSocket(@TempDir Path dir) throws Exception {
        // A stand-in for systemd's socket: python3 binds a datagram socket and prints what arrives.
        Path socket = dir.resolve("notify.sock");
        Process listener = new ProcessBuilder("python3", "-c", String.join("\n",
                "import socket, sys",
                "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)",
                "s.bind(sys.argv[1]); s.settimeout(10)",
                "print('bound', flush=True)",
                "print(s.recv(4096).decode().replace('\\n', ' '), flush=True)"), socket.toString())
                .redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(listener.getInputStream(), StandardCharsets.UTF_8));
        assertThat(out.readLine()).isEqualTo("bound");
        SystemdWatchdog.systemdNotify(socket.toString(), "WATCHDOG=1");
        assertThat(out.readLine()).isEqualTo("MAINPID=" + ProcessHandle.current().pid() + " WATCHDOG=1");
        assertThat(listener.waitFor(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aBadIntervalIsIgnored() {
        assertThat(watchdog(Map.of("WATCHDOG_USEC", "soon")).watchdogMicros()).isZero();
    }
}
