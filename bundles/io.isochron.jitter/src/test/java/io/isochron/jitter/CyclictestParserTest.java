package io.isochron.jitter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.isochron.api.runtime.JitterStats;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CyclictestParserTest {
    @Test
    void samplesGoIntoTheWindowAndEverythingElseIsIgnored() {
        CyclictestParser p = new CyclictestParser(1000);
        LatencyWindow w = new LatencyWindow();
        List<String> output = List.of("# /dev/cpu_dma_latency set to 0us", "Thread 0 Interval: 1000",
                "       0:       0:      13", "       0:       1:       9", "       0:       2:    2500",
                "T: 0 ( 1234) P:80 I:1000 C:   1000 Min:      3 Act:    5 Avg:    4 Max:      12", "");
        long accepted = output.stream().filter(l -> p.accept(l, w)).count();
        assertThat(accepted).isEqualTo(3);
        assertThat(p.ignoredLines()).isEqualTo(4);
        JitterStats s = w.stats("host", 1000);
        assertThat(s.minMicros()).isEqualTo(9);
        assertThat(s.maxMicros()).isEqualTo(2500);
        assertThat(s.overruns()).as("2500 µs late at 1000 µs: deadlines at +1000 and +2000 are skipped").isEqualTo(2);
        assertThat(p.lost()).isZero();
    }

    @Test
    void gapsInTheCycleNumbersCountAsLostPerThread() {
        CyclictestParser p = new CyclictestParser(1000);
        LatencyWindow w = new LatencyWindow();
        for (String l : List.of("0: 0: 5", "1: 0: 5", "0: 1: 5", "0: 5: 5", "1: 1: 5")) {
            p.accept(l, w);
        }
        assertThat(p.lost()).isEqualTo(3);
        assertThat(w.samples()).isEqualTo(5);
    }

    @Test
    void missedCyclesFollowCyclictestsDeadlineSkipping() {
        assertThat(CyclictestParser.missedCycles(0, 1000)).isZero();
        assertThat(CyclictestParser.missedCycles(1000, 1000)).as("wakes exactly at the next deadline").isZero();
        assertThat(CyclictestParser.missedCycles(1001, 1000)).isEqualTo(1);
        assertThat(CyclictestParser.missedCycles(2000, 1000)).isEqualTo(1);
        assertThat(CyclictestParser.missedCycles(2001, 1000)).isEqualTo(2);
    }

    @Test
    void commandAsksForPerCycleOutputAndTheSameCycle() {
        assertThat(CyclictestParser.command("cyclictest", 500, 80, 1, 2)).containsExactly("cyclictest", "--verbose",
                "--mlockall", "--interval=500", "--threads=2", "--distance=0", "--priority=80", "--affinity=1");
        assertThat(CyclictestParser.command("/opt/ct", 1000, 0, -1, 1)).contains("--policy=other")
                .noneMatch(a -> a.startsWith("--priority") || a.startsWith("--affinity"));
        assertThatThrownBy(() -> new CyclictestParser(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void parsesRealCyclictestOutput() throws Exception {
        Path binary = Cyclictest.ensureInstalled();
        List<String> cmd = new ArrayList<>(CyclictestParser.command(binary.toString(), 1000, 0, -1, 2));
        cmd.add("--loops=200");
        Process process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        CyclictestParser p = new CyclictestParser(1000);
        LatencyWindow w = new LatencyWindow();
        List<String> other = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (!p.accept(line, w)) {
                    other.add(line);
                }
            }
        }
        assertThat(process.waitFor()).as("cyclictest output: %s", other).isZero();
        // 2 threads × 200 loops; cyclictest prints every ~10 ms and may exit before printing the
        // last cycles of a thread (those at the end, so no gap counts as lost)
        assertThat(w.samples()).isBetween(300L, 400L);
        assertThat(p.lost()).isZero();
        JitterStats s = w.stats("host", 1000);
        assertThat(s.minMicros()).isGreaterThanOrEqualTo(0).isLessThanOrEqualTo(s.p99Micros());
        assertThat(s.maxMicros()).isGreaterThanOrEqualTo(s.p999Micros());
        assertThat(other).anyMatch(l -> l.startsWith("Thread 0 Interval: 1000")).anyMatch(l -> l.startsWith("Thread 1 Interval: 1000"));
    }
}
