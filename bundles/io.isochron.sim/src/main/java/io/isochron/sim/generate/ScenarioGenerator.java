package io.isochron.sim.generate;

import io.isochron.api.IoCategory;
import io.isochron.sim.scenario.Job;
import io.isochron.sim.scenario.Scenario;
import io.isochron.sim.scenario.VcpuSpec;
import io.isochron.sim.scenario.VmSpec;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Random scenarios for the simulator.
 *
 * <p>The total CPU utilisation {@code load * pcpus} is split over all vCPUs uniformly with
 * {@link RandFixedSum} (each vCPU between {@value #MIN_UTILISATION} and 1). Every vCPU gets an I/O
 * category drawn uniformly from the six components and NONE, and an I/O utilisation drawn
 * uniformly from [{@value #MIN_IO_PERCENT}, {@value #MAX_IO_PERCENT}] percent that all its jobs
 * use. Periodic vCPUs release {@code jobsPerVcpu} jobs synchronously from time 0 with implicit
 * deadlines, periods chosen uniformly from the log-spaced set {@link #PERIODS_MS}; aperiodic vCPUs
 * release Poisson arrivals of jobs whose CPU time is uniform in [0.5, 3.5] ms, without deadlines.
 *
 * <p>A scenario depends only on its parameters: the seed feeds a {@link SplittableRandom} that is
 * split into independent streams for the utilisations and for each vCPU, so a vCPU's jobs for a
 * larger {@code jobsPerVcpu} extend those for a smaller one.
 */
public final class ScenarioGenerator {
    /** Lower bound of a vCPU's utilisation (lowered only if the vCPUs are too many for the load). */
    public static final double MIN_UTILISATION = 0.01;
    public static final double MIN_IO_PERCENT = 10;
    public static final double MAX_IO_PERCENT = 60;
    /** Candidate periods of periodic vCPUs, in milliseconds. */
    public static final List<Integer> PERIODS_MS = List.of(1, 2, 5, 10, 20, 50, 100);
    /** Smallest CPU time of a job. */
    public static final long MIN_CPU_NANOS = 1_000;
    /** Range of an aperiodic job's CPU time (mean 2 ms). */
    public static final long APERIODIC_MIN_CPU_NANOS = 500_000;
    public static final long APERIODIC_MAX_CPU_NANOS = 3_500_000;

    private static final long NANOS_PER_MS = 1_000_000;
    private static final IoCategory[] CATEGORIES = IoCategory.values();

    private ScenarioGenerator() {
    }

    /**
     * Generator parameters.
     *
     * @param seed random seed; the same parameters always give the same scenario
     * @param pcpus number of pCPUs, >= 1
     * @param vms number of VMs, >= 1
     * @param vcpusPerVm vCPUs of every VM, >= 1
     * @param load utilisation per pCPU in (0, 1]; the vCPUs' utilisations sum to load * pcpus
     * @param jobsPerVcpu jobs released by each vCPU, >= 1
     * @param periodic periodic vCPUs with implicit deadlines, or aperiodic ones without deadlines
     */
    public record Parameters(long seed, int pcpus, int vms, int vcpusPerVm, double load, int jobsPerVcpu,
            boolean periodic) {
        public Parameters {
            if (pcpus < 1) {
                throw new IllegalArgumentException("pcpus must be >= 1, got " + pcpus);
            }
            if (vms < 1) {
                throw new IllegalArgumentException("vms must be >= 1, got " + vms);
            }
            if (vcpusPerVm < 1) {
                throw new IllegalArgumentException("vcpusPerVm must be >= 1, got " + vcpusPerVm);
            }
            if (!(load > 0 && load <= 1)) {
                throw new IllegalArgumentException("load must be in (0, 1], got " + load);
            }
            if (jobsPerVcpu < 1) {
                throw new IllegalArgumentException("jobsPerVcpu must be >= 1, got " + jobsPerVcpu);
            }
            long vcpus = (long) vms * vcpusPerVm;
            if (vcpus > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("vms * vcpusPerVm must be <= " + Integer.MAX_VALUE + ", got "
                        + vcpus);
            }
            if (load * pcpus > vcpus) {
                throw new IllegalArgumentException("load * pcpus must be <= the number of vCPUs (vms * vcpusPerVm = "
                        + vcpus + ") as a vCPU uses at most one pCPU, got " + load * pcpus);
            }
        }

        /** Number of vCPUs over all VMs. */
        public int vcpuCount() {
            return vms * vcpusPerVm;
        }

        /** The sum of all vCPUs' utilisations, load * pcpus. */
        public double totalUtilisation() {
            return load * pcpus;
        }
    }

    /** Generates the scenario of the given parameters. */
    public static Scenario generate(Parameters p) {
        if (p == null) {
            throw new IllegalArgumentException("parameters are required, got null");
        }
        SplittableRandom root = new SplittableRandom(p.seed());
        SplittableRandom utilisationRandom = root.split();
        int n = p.vcpuCount();
        double total = p.totalUtilisation();
        double lo = Math.min(MIN_UTILISATION, total / n);
        double hi = Math.min(1.0, total);
        double[] utilisation = RandFixedSum.draw(n, total, lo, hi, utilisationRandom);

        SplittableRandom[] vcpuRandom = new SplittableRandom[n];
        IoCategory[] category = new IoCategory[n];
        double[] ioPercent = new double[n];
        long[] period = new long[n];
        for (int v = 0; v < n; v++) {
            vcpuRandom[v] = root.split();
            category[v] = CATEGORIES[vcpuRandom[v].nextInt(CATEGORIES.length)];
            ioPercent[v] = MIN_IO_PERCENT + (MAX_IO_PERCENT - MIN_IO_PERCENT) * vcpuRandom[v].nextDouble();
            period[v] = PERIODS_MS.get(vcpuRandom[v].nextInt(PERIODS_MS.size())) * NANOS_PER_MS;
        }

        List<List<Job>> jobs = new ArrayList<>(n);
        if (p.periodic()) {
            long[] cpu = periodicCpuTimes(utilisation, period);
            for (int v = 0; v < n; v++) {
                List<Job> list = new ArrayList<>(p.jobsPerVcpu());
                for (int k = 0; k < p.jobsPerVcpu(); k++) {
                    list.add(Job.of(k * period[v], cpu[v], category[v], ioPercent[v], period[v]));
                }
                jobs.add(list);
            }
        } else {
            for (int v = 0; v < n; v++) {
                jobs.add(aperiodicJobs(utilisation[v], category[v], ioPercent[v], p.jobsPerVcpu(), vcpuRandom[v]));
            }
        }

        List<VmSpec> vms = new ArrayList<>(p.vms());
        for (int vm = 0; vm < p.vms(); vm++) {
            List<VcpuSpec> vcpus = new ArrayList<>(p.vcpusPerVm());
            for (int i = 0; i < p.vcpusPerVm(); i++) {
                int v = vm * p.vcpusPerVm() + i;
                vcpus.add(new VcpuSpec(i, p.periodic() ? period[v] : 0, jobs.get(v)));
            }
            vms.add(new VmSpec("vm" + vm, vcpus));
        }
        return new Scenario(name(p), description(p), p.pcpus(), vms);
    }

    /** The scenario name for the given parameters, e.g. {@code random-seed42-load0.75}. */
    public static String name(Parameters p) {
        return "random-seed" + p.seed() + "-load" + plain(p.load());
    }

    private static String description(Parameters p) {
        return "random " + (p.periodic() ? "periodic" : "aperiodic") + " scenario: seed=" + p.seed()
                + ", pcpus=" + p.pcpus() + ", vms=" + p.vms() + ", vcpusPerVm=" + p.vcpusPerVm()
                + ", load=" + plain(p.load()) + " (total utilisation " + plain(p.totalUtilisation())
                + "), jobsPerVcpu=" + p.jobsPerVcpu() + ", periodic=" + p.periodic();
    }

    private static String plain(double value) {
        return BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
    }

    /**
     * CPU times u * T rounded to nanoseconds with error diffusion: the vCPUs are visited in order of
     * increasing period and each one's rounding error (in utilisation) is carried to the next, so
     * the declared total utilisation misses the drawn one by at most half a nanosecond over the
     * longest period.
     */
    private static long[] periodicCpuTimes(double[] utilisation, long[] period) {
        int n = utilisation.length;
        Integer[] order = IntStream.range(0, n).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingLong((Integer v) -> period[v]));
        long[] cpu = new long[n];
        double carry = 0;
        for (int v : order) {
            double target = (utilisation[v] + carry) * period[v];
            long c = Math.min(Math.max(Math.round(target), MIN_CPU_NANOS), period[v]);
            cpu[v] = c;
            carry = utilisation[v] + carry - (double) c / period[v];
        }
        return cpu;
    }

    private static List<Job> aperiodicJobs(double utilisation, IoCategory category, double ioPercent, int count,
            SplittableRandom random) {
        double meanCpu = (APERIODIC_MIN_CPU_NANOS + APERIODIC_MAX_CPU_NANOS) / 2.0;
        double meanGap = meanCpu / utilisation;
        List<Job> list = new ArrayList<>(count);
        double arrival = 0;
        for (int k = 0; k < count; k++) {
            arrival += -meanGap * Math.log(1.0 - random.nextDouble());
            long cpu = random.nextLong(APERIODIC_MIN_CPU_NANOS, APERIODIC_MAX_CPU_NANOS + 1);
            long at = arrival >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) arrival;
            list.add(Job.of(at, cpu, category, ioPercent, 0));
        }
        return list;
    }
}
