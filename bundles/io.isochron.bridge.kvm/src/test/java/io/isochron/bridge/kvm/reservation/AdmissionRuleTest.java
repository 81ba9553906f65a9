package io.isochron.bridge.kvm.reservation;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.BitSet;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

class AdmissionRuleTest {
    private static final RtLimit DEFAULT = new RtLimit(950_000, 1_000_000);

    private static BitSet cpus(int from, int to) {
        BitSet b = new BitSet();
        b.set(from, to + 1);
        return b;
    }

    private static ReservationSpec spec(String text) {
        return ReservationSpec.parse(text);
    }

    @Test
    void capacityIsTheKernelsFixedPointShareTimesCpus() {
        // to_ratio(1000000, 950000) = 950000 << 20 / 1000000, truncated
        assertThat(DEFAULT.perCpu()).isEqualTo(996_147);
        assertThat(AdmissionRule.capacity(DEFAULT, 2)).isEqualTo(1_992_294);
        assertThat(HostFacts.DEFAULT_FAIR_SERVER).isEqualTo(52_428);
    }

    @Test
    void refusalNamesTheNumbers() {
        RootDomain one = new RootDomain(cpus(1, 1), 0, Map.of(4711, Bandwidth.ratio(100, 85)));
        assertThat(AdmissionRule.check(spec("plc1/vcpu0=2ms/10ms"), 99, one, DEFAULT)).hasValue(
                "reservation 2.000/10.000 ms (bandwidth 0.200) for plc1/vcpu0 refused: root domain CPUs 1 already "
                        + "holds 0.850 of 0.950 (1 CPU × 950000/1000000 µs; 0.000 by the kernel's deadline servers, "
                        + "0.850 by 1 deadline thread [4711])");
    }

    @Test
    void exactFitIsAdmittedAndOneUnitMoreIsNot() {
        // two CPUs with the default fair servers leave 1992294 - 2 * 52428 = 1887438
        RootDomain d = new RootDomain(cpus(0, 1), 2 * HostFacts.DEFAULT_FAIR_SERVER,
                Map.of(1, Bandwidth.ratio(10_000_000, 9_000_000)));
        long left = AdmissionRule.capacity(DEFAULT, 2) - d.held();
        long runtime = left * 10_000_000 / Bandwidth.ONE;
        while (Bandwidth.ratio(10_000_000, runtime + 1) <= left) {
            runtime++;
        }
        assertThat(AdmissionRule.check(spec("g/vcpu0=" + runtime + "ns/10ms"), 2, d, DEFAULT)).isEmpty();
        assertThat(AdmissionRule.check(spec("g/vcpu0=" + (runtime + 10) + "ns/10ms"), 2, d, DEFAULT)).isPresent();
    }

    @Test
    void aThreadsOwnReservationIsReplacedNotAdded() {
        RootDomain d = new RootDomain(cpus(0, 0), 0, Map.of(7, Bandwidth.ratio(10, 8)));
        assertThat(AdmissionRule.check(spec("g/vcpu0=9ms/10ms"), 7, d, DEFAULT)).isEmpty();
        assertThat(AdmissionRule.check(spec("g/vcpu0=2ms/10ms"), 8, d, DEFAULT)).isPresent();
    }

    @Test
    void unlimitedAdmitsEverything() {
        RootDomain d = new RootDomain(cpus(0, 0), 0, Map.of(7, Bandwidth.ONE));
        assertThat(AdmissionRule.check(spec("g/vcpu0=10ms/10ms"), 8, d, new RtLimit(-1, 1_000_000))).isEmpty();
    }

    @Property
    void verdictIsTheSumRuleAndMonotoneInRuntime(@ForAll @IntRange(min = 1, max = 8) int n,
            @ForAll @LongRange(min = 0, max = 1_000_000) long heldPerMille,
            @ForAll @LongRange(min = 2_000, max = 10_000_000) long runtime,
            @ForAll @IntRange(min = 0, max = 1_000) int smaller) {
        long held = Bandwidth.ONE * n * heldPerMille / 1_000_000;
        RootDomain d = new RootDomain(cpus(0, n - 1), 0, Map.of(1, held));
        ReservationSpec s = spec("g/vcpu0=" + runtime + "ns/10ms");
        boolean admitted = AdmissionRule.check(s, 2, d, DEFAULT).isEmpty();
        assertThat(admitted).isEqualTo(held + s.bandwidth() <= DEFAULT.perCpu() * n);
        if (admitted) {
            long less = Math.max(1_024, runtime - smaller);
            assertThat(AdmissionRule.check(spec("g/vcpu0=" + less + "ns/10ms"), 2, d, DEFAULT)).isEmpty();
        } else {
            assertThat(AdmissionRule.check(s, 2, d, DEFAULT).orElseThrow())
                    .contains("already holds " + Bandwidth.format(held) + " of "
                            + Bandwidth.format(DEFAULT.perCpu() * n));
        }
    }
}
