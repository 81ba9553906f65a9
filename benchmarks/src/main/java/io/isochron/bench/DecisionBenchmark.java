package io.isochron.bench;

import io.isochron.api.IoCategory;
import io.isochron.api.scheduling.Placement;
import io.isochron.api.scheduling.RunQueueSummary;
import io.isochron.scheduler.core.Classifier;
import io.isochron.scheduler.core.Policies;
import io.isochron.scheduler.core.RunQueues;
import io.isochron.scheduler.core.VcpuSlot;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One scheduling decision — classify the ready vCPU's run-queue summary and place it — on a
 * loaded host: every other vCPU is already queued or running, spread over the pCPUs. The decided
 * vCPU is withdrawn again after each operation so that the state stays the same; the withdrawal
 * (a scan of one queue) is included in the measured time.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class DecisionBenchmark {
    /** vCPUs x pCPUs, e.g. "64x8". */
    @Param({"8x4", "64x8", "256x32", "1024x64"})
    public String shape;

    @Param({"shortest-queue", "interference-aware", "edf-refinement"})
    public String policy;

    private RunQueues queues;
    private Placement placement;
    private RunQueueSummary[] summaries;
    private int vcpus;
    private int next;
    private long now;

    private static final RunQueues.Listener IGNORE = new RunQueues.Listener() {
        @Override
        public void queued(int pcpu, VcpuSlot vcpu, long at) {}

        @Override
        public void started(int pcpu, VcpuSlot vcpu, long at) {}

        @Override
        public void preempted(int pcpu, VcpuSlot vcpu, long at) {}
    };

    @Setup(Level.Trial)
    public void setUp() {
        String[] dims = shape.split("x");
        vcpus = Integer.parseInt(dims[0]);
        int pcpus = Integer.parseInt(dims[1]);
        placement = Policies.create(policy, policy.equals("interference-aware") ? 20 : 0);
        queues = new RunQueues(pcpus, placement, new Classifier(), IGNORE);
        SplittableRandom rnd = new SplittableRandom(42);
        summaries = new RunQueueSummary[vcpus];
        for (int i = 0; i < vcpus; i++) {
            queues.register("vm" + i / 2, i % 2);
            RunQueueSummary s = new RunQueueSummary();
            int tasks = 1 + rnd.nextInt(4);
            for (int t = 0; t < tasks; t++) {
                IoCategory c = IoCategory.values()[rnd.nextInt(IoCategory.values().length)];
                s.addHintedTask(100_000 + rnd.nextInt(2_000_000), c, c.isComponent() ? 5 + rnd.nextInt(50) : 0);
            }
            summaries[i] = s;
        }
        // Every vCPU but the last queued (periodic, 1-10 ms), so each decision sees a full host.
        for (int i = 0; i < vcpus - 1; i++) {
            long period = 1_000_000L * (1 + i % 10);
            queues.ready(i, summaries[i], 0, 0, period, period);
        }
        next = vcpus - 1;
    }

    @Benchmark
    public int classifyAndPlace() {
        int id = next;
        now += 1_000;
        long period = 1_000_000L * (1 + id % 10);
        int pcpu = queues.classifyAndPlace(placement, id, summaries[id], now, now, period, period);
        queues.withdraw(id);
        return pcpu;
    }
}
