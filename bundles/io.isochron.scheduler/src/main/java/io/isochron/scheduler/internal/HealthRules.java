package io.isochron.scheduler.internal;

import io.isochron.api.runtime.Health;
import java.util.ArrayList;
import java.util.List;

/**
 * The appliance's Health from what the scheduler knows, as one pure function; docs/operations.md
 * ("Health") states the same rules. The worst state that applies wins, in NAMUR NE 107 order:
 * FAILURE, CHECK_FUNCTION, OFF_SPEC, MAINTENANCE_REQUIRED; its reason joins every cause of that state.
 */
final class HealthRules {
    private HealthRules() {}

    /**
     * @param bridge the attached hypervisor bridge's name, or null when none is attached
     * @param startProblems what the host's start-up found wrong (e.g. the box's configuration replaced by
     *     the fallback), one line each
     * @param rejectedConfigurations one line per PID whose configuration was rejected (last good in force)
     * @param bridgeProblem configuration the bridge could not put in force (e.g. a refused reservation), or ""
     * @param bridgeFault decisions the bridge could not apply recently (e.g. the kernel refused), or ""
     * @param configuredPolicy the policy the configuration asks for
     * @param activePolicy the policy deciding now
     * @param jitterOffSpec the jitter monitor's limits exceeded or its probe degraded, or ""
     */
    record Inputs(String bridge, List<String> startProblems, List<String> rejectedConfigurations, String bridgeProblem,
            String bridgeFault,
            String configuredPolicy, String activePolicy, String jitterOffSpec) {}

    record Verdict(Health health, String reason) {}

    static Verdict evaluate(Inputs in) {
        if (in.bridge() == null) {
            return new Verdict(Health.FAILURE, "no hypervisor bridge attached: nothing is scheduled");
        }
        List<String> check = new ArrayList<>(in.startProblems());
        check.addAll(in.rejectedConfigurations());
        if (!in.bridgeProblem().isEmpty()) {
            check.add("hypervisor bridge '" + in.bridge() + "': " + in.bridgeProblem());
        }
        if (!check.isEmpty()) {
            return new Verdict(Health.CHECK_FUNCTION, String.join("; ", check));
        }
        List<String> offSpec = new ArrayList<>();
        if (!in.activePolicy().equals(in.configuredPolicy())) {
            offSpec.add("configured policy '" + in.configuredPolicy() + "' is not available; deciding with "
                    + in.activePolicy());
        }
        if (!in.jitterOffSpec().isEmpty()) {
            offSpec.add("jitter: " + in.jitterOffSpec());
        }
        if (!offSpec.isEmpty()) {
            return new Verdict(Health.OFF_SPEC, String.join("; ", offSpec));
        }
        if (!in.bridgeFault().isEmpty()) {
            return new Verdict(Health.MAINTENANCE_REQUIRED, "hypervisor bridge '" + in.bridge()
                    + "' could not apply decisions: " + in.bridgeFault());
        }
        return new Verdict(Health.NORMAL, "");
    }
}
