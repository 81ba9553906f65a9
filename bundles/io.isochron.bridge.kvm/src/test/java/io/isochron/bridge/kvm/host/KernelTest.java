package io.isochron.bridge.kvm.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.util.BitSet;

import org.junit.jupiter.api.Test;

class KernelTest {
    private static final long MS = 1_000_000L;

    private final Kernel kernel = Kernel.load();
    private final ProcFs proc = new ProcFs();
    private final int pid = (int) ProcessHandle.current().pid();

    @Test
    void currentThreadIdNamesTheCallingThreadInProc() throws Exception {
        try (ParkedThread t = new ParkedThread(kernel, "iso-tid-probe")) {
            assertThat(proc.threads(pid)).contains(t.tid());
            assertThat(proc.comm(pid, t.tid())).contains("iso-tid-probe");
            assertThat(proc.threadGroup(t.tid())).hasValue(pid);
        }
        assertThat(kernel.currentThreadId()).isNotEqualTo(pid).isPositive();
    }

    @Test
    void monotonicNanosReadsTheClockOfSystemNanoTime() {
        // HotSpot on Linux implements System.nanoTime with CLOCK_MONOTONIC.
        long before = System.nanoTime();
        long now = kernel.monotonicNanos();
        long after = System.nanoTime();
        assertThat(now).isBetween(before, after);
    }

    @Test
    void affinityIsAppliedReadBackAndVisibleInProc() throws Exception {
        try (ParkedThread t = new ParkedThread(kernel, "iso-affinity")) {
            BitSet original = atLeastTwoCpus(t.tid());
            BitSet last = only(original.length() - 1);

            kernel.setAffinity(t.tid(), last);

            assertThat(kernel.affinity(t.tid())).isEqualTo(last);
            assertThat(proc.cpusAllowed(pid, t.tid())).contains(last);

            kernel.setAffinity(t.tid(), original);
            assertThat(proc.cpusAllowed(pid, t.tid())).contains(original);
        }
    }

    @Test
    void emptyAffinityIsEinval() throws Exception {
        try (ParkedThread t = new ParkedThread(kernel, "iso-empty-mask")) {
            assertThatThrownBy(() -> kernel.setAffinity(t.tid(), new BitSet()))
                    .isInstanceOfSatisfying(NativeException.class, e -> {
                        assertThat(e.error()).isEqualTo(Errno.EINVAL);
                        assertThat(e.call()).isEqualTo("sched_setaffinity");
                    });
        }
    }

    @Test
    void realTimePoliciesAreReadBackAsSet() throws Exception {
        try (ParkedThread t = new ParkedThread(kernel, "iso-rt")) {
            for (SchedAttributes a : new SchedAttributes[] {
                    SchedAttributes.fifo(10), SchedAttributes.roundRobin(20, SchedFlag.RESET_ON_FORK) }) {
                TestHost.setAttributes(kernel, t.tid(), a);
                assertThat(kernel.attributes(t.tid())).isEqualTo(a);
            }
        }
    }

    @Test
    void fairPolicyIsReadBackWithItsNiceValue() throws Exception {
        try (ParkedThread t = new ParkedThread(kernel, "iso-fair")) {
            TestHost.setAttributes(kernel, t.tid(), SchedAttributes.fifo(10));

            TestHost.setAttributes(kernel, t.tid(), SchedAttributes.other(5));

            // Linux 6.12+ reports the thread's EEVDF slice as runtime (older kernels: 0).
            SchedAttributes read = kernel.attributes(t.tid());
            assertThat(read).usingRecursiveComparison().ignoringFields("runtimeNanos")
                    .isEqualTo(SchedAttributes.other(5));
            assertThat(read.runtimeNanos()).isNotNegative();
        }
    }

    @Test
    void deadlineReservationIsReadBackWithItsFlags() throws Exception {
        try (ParkedThread t = new ParkedThread(kernel, "iso-dl")) {
            SchedAttributes reservation = SchedAttributes.deadline(1 * MS, 8 * MS, 10 * MS,
                    SchedFlag.RECLAIM, SchedFlag.RESET_ON_FORK);

            TestHost.setAttributes(kernel, t.tid(), reservation);

            assertThat(kernel.attributes(t.tid())).isEqualTo(reservation);
        }
    }

    @Test
    void deadlineThreadCannotBePinnedToFewerCpusEbusy() throws Exception {
        try (ParkedThread t = new ParkedThread(kernel, "iso-dl-pin")) {
            BitSet all = atLeastTwoCpus(t.tid());
            TestHost.setAttributes(kernel, t.tid(), SchedAttributes.deadline(1 * MS, 10 * MS, 10 * MS));
            BitSet first = only(all.nextSetBit(0));

            assertThatThrownBy(() -> kernel.setAffinity(t.tid(), first))
                    .isInstanceOfSatisfying(NativeException.class, e -> {
                        assertThat(e.error()).isEqualTo(Errno.EBUSY);
                        assertThat(e.errno()).isEqualTo(16);
                        assertThat(e.call()).isEqualTo("sched_setaffinity");
                        assertThat(e.arguments()).contains("tid=" + t.tid());
                        assertThat(e.getMessage()).contains("EBUSY");
                    });
            assertThat(kernel.affinity(t.tid())).isEqualTo(all);
        }
    }

    @Test
    void pinnedThreadCannotBecomeDeadlineEperm() throws Exception {
        try (ParkedThread t = new ParkedThread(kernel, "iso-pin-dl")) {
            BitSet all = atLeastTwoCpus(t.tid());
            assumeThat(TestHost.isRoot()).as("root (EPERM is the expected answer here)").isTrue();
            BitSet first = only(all.nextSetBit(0));
            kernel.setAffinity(t.tid(), first);

            assertThatThrownBy(() -> kernel.setAttributes(t.tid(), SchedAttributes.deadline(1 * MS, 10 * MS, 10 * MS)))
                    .isInstanceOfSatisfying(NativeException.class, e -> {
                        assertThat(e.error()).isEqualTo(Errno.EPERM);
                        assertThat(e.call()).isEqualTo("sched_setattr");
                        assertThat(e.arguments()).contains("policy=6", "runtime=1000000");
                    });
            assertThat(kernel.attributes(t.tid()).policy()).isEqualTo(SchedPolicy.OTHER);
        }
    }

    @Test
    void runtimeLongerThanDeadlineIsEinval() throws Exception {
        try (ParkedThread t = new ParkedThread(kernel, "iso-dl-bad")) {
            assertThatThrownBy(() -> kernel.setAttributes(t.tid(), SchedAttributes.deadline(20 * MS, 10 * MS, 10 * MS)))
                    .isInstanceOfSatisfying(NativeException.class,
                            e -> assertThat(e.error()).isEqualTo(Errno.EINVAL));
        }
    }

    @Test
    void threadThatDoesNotExistIsEsrchForEveryCall() throws Exception {
        int absent = TestHost.absentThreadId();
        assertThatThrownBy(() -> kernel.setAffinity(absent, only(0))).satisfies(e -> isEsrch(e, "sched_setaffinity", absent));
        assertThatThrownBy(() -> kernel.affinity(absent)).satisfies(e -> isEsrch(e, "sched_getaffinity", absent));
        assertThatThrownBy(() -> kernel.setAttributes(absent, SchedAttributes.fifo(1)))
                .satisfies(e -> isEsrch(e, "sched_setattr", absent));
        assertThatThrownBy(() -> kernel.attributes(absent)).satisfies(e -> isEsrch(e, "sched_getattr", absent));
    }

    /** The thread's CPUs; restricting it to fewer needs at least two. */
    private BitSet atLeastTwoCpus(int tid) throws NativeException {
        BitSet cpus = kernel.affinity(tid);
        assumeThat(cpus.cardinality()).as("CPUs this test may use").isGreaterThanOrEqualTo(2);
        return cpus;
    }

    private static BitSet only(int cpu) {
        BitSet cpus = new BitSet();
        cpus.set(cpu);
        return cpus;
    }

    private static void isEsrch(Throwable thrown, String call, int tid) {
        assertThat(thrown).isInstanceOf(NativeException.class);
        NativeException e = (NativeException) thrown;
        assertThat(e.error()).isEqualTo(Errno.ESRCH);
        assertThat(e.errno()).isEqualTo(3);
        assertThat(e.description()).isEqualTo("No such process");
        assertThat(e.call()).isEqualTo(call);
        assertThat(e.getMessage()).startsWith(call + "(tid=" + tid).contains("ESRCH", "No such process");
    }

    @Test
    void threadIdZeroIsRefusedBeforeTheKernelTakesItAsTheCaller() {
        assertThatThrownBy(() -> kernel.setAttributes(0, SchedAttributes.fifo(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> kernel.affinity(-1)).isInstanceOf(IllegalArgumentException.class);
    }
}
