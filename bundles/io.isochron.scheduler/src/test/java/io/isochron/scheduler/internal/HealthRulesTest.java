package io.isochron.scheduler.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.isochron.api.runtime.Health;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The rules of docs/operations.md, "Health", one by one and in their order. */
class HealthRulesTest {
    private static HealthRules.Inputs inputs(String bridge, List<String> rejected, String problem, String fault,
            String configured, String active, String jitter) {
        return new HealthRules.Inputs(bridge, List.of(), rejected, problem, fault, configured, active, jitter);
    }

    private static HealthRules.Verdict healthy() {
        return HealthRules.evaluate(inputs("kvm", List.of(), "", "", "edf", "edf", ""));
    }

    @Test
    void everythingInForceIsNormal() {
        assertThat(healthy()).isEqualTo(new HealthRules.Verdict(Health.NORMAL, ""));
    }

    @Test
    void startUpProblemsAreCheckFunctionAndComeFirst() {
        assertThat(HealthRules.evaluate(new HealthRules.Inputs("kvm", List.of("state volume not found"),
                List.of("configuration io.isochron.mqtt rejected: x"), "", "", "edf", "edf", "")))
                .isEqualTo(new HealthRules.Verdict(Health.CHECK_FUNCTION,
                        "state volume not found; configuration io.isochron.mqtt rejected: x"));
    }

    @Test
    void eachConditionGivesItsStateWithItsReason() {
        assertThat(HealthRules.evaluate(inputs(null, List.of(), "", "", "edf", "edf", "")))
                .isEqualTo(new HealthRules.Verdict(Health.FAILURE, "no hypervisor bridge attached: nothing is scheduled"));
        assertThat(HealthRules.evaluate(inputs("kvm", List.of("configuration io.isochron.mqtt rejected: x"), "", "",
                "edf", "edf", ""))).isEqualTo(new HealthRules.Verdict(Health.CHECK_FUNCTION,
                        "configuration io.isochron.mqtt rejected: x"));
        assertThat(HealthRules.evaluate(inputs("kvm", List.of(), "reservation refused", "", "edf", "edf", "")))
                .isEqualTo(new HealthRules.Verdict(Health.CHECK_FUNCTION, "hypervisor bridge 'kvm': reservation refused"));
        assertThat(HealthRules.evaluate(inputs("kvm", List.of(), "", "", "my-policy", "shortest-queue", "")))
                .isEqualTo(new HealthRules.Verdict(Health.OFF_SPEC,
                        "configured policy 'my-policy' is not available; deciding with shortest-queue"));
        assertThat(HealthRules.evaluate(inputs("kvm", List.of(), "", "", "edf", "edf", "host: p99 87 µs > limit 50 µs")))
                .isEqualTo(new HealthRules.Verdict(Health.OFF_SPEC, "jitter: host: p99 87 µs > limit 50 µs"));
        assertThat(HealthRules.evaluate(inputs("kvm", List.of(), "", "3 placements not in force so far; last: EPERM",
                "edf", "edf", ""))).isEqualTo(new HealthRules.Verdict(Health.MAINTENANCE_REQUIRED,
                        "hypervisor bridge 'kvm' could not apply decisions: 3 placements not in force so far; last: EPERM"));
    }

    @Test
    void theMostSevereWinsAndItsReasonListsEveryCause() {
        var all = HealthRules.evaluate(inputs("sim", List.of("configuration a rejected", "configuration b rejected"),
                "refused", "EPERM", "my-policy", "shortest-queue", "host: too late"));
        assertThat(all.health()).isEqualTo(Health.CHECK_FUNCTION);
        assertThat(all.reason()).isEqualTo("configuration a rejected; configuration b rejected; "
                + "hypervisor bridge 'sim': refused");
        var offSpec = HealthRules.evaluate(inputs("sim", List.of(), "", "EPERM", "my-policy", "shortest-queue",
                "host: too late"));
        assertThat(offSpec.health()).as("OFF_SPEC above MAINTENANCE_REQUIRED").isEqualTo(Health.OFF_SPEC);
        assertThat(offSpec.reason()).isEqualTo("configured policy 'my-policy' is not available; deciding with "
                + "shortest-queue; jitter: host: too late");
        assertThat(HealthRules.evaluate(inputs(null, List.of("configuration a rejected"), "x", "y", "a", "b", "z"))
                .health()).as("FAILURE above everything").isEqualTo(Health.FAILURE);
    }
}
