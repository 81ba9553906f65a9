package io.isochron.bench;

import io.isochron.scheduler.internal.SchedulerService;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Latency of a policy switch through the scheduler service (validate, configure the policy,
 * publish it to the run queues), on a scheduler attached to a host with 64 vCPUs queued on 8
 * pCPUs. The audit log line of each switch is silenced so that the console does not dominate;
 * storing the switch in ConfigAdmin is not included (no ConfigAdmin here).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class PolicySwitchBenchmark {
    private SchedulerService service;
    private int n;

    @Setup
    public void setUp() {
        service = BenchBridge.scheduler(new BenchBridge(8, 64));
    }

    @Benchmark
    public String switchPolicy() {
        n++;
        return service.switchPolicy((n & 1) == 0 ? "interference-aware" : "edf-refinement", n % 100);
    }
}
