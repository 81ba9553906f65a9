package io.isochron.bench;

import io.isochron.scheduler.internal.SchedulerService;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Decisions while the policy is being switched: one thread plays the bridge (rounds of 16 vCPUs on
 * 4 pCPUs: finish, ready, dispatch — 16 decisions a round), another switches the policy through the
 * scheduler service as fast as it can. The throughput of {@code decide} is rounds per second under
 * switching; {@code HotSwapTest} checks that none of those decisions is lost or made twice.
 */
@State(Scope.Group)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class HotSwapBenchmark {
    private static final String[] CYCLE = {"interference-aware", "edf-refinement", "shortest-queue", "edf"};

    private SchedulerService service;
    private BenchBridge bridge;
    private long now;
    private int switches;

    @Setup
    public void setUp() {
        bridge = new BenchBridge(4, 16);
        service = BenchBridge.scheduler(bridge);
    }

    @Benchmark
    @Group("hotswap")
    @GroupThreads(1)
    public void decide() {
        now += 2_000;
        bridge.round(now);
    }

    @Benchmark
    @Group("hotswap")
    @GroupThreads(1)
    public String switchPolicy() {
        switches++;
        return service.switchPolicy(CYCLE[switches & 3], switches % 101);
    }
}
