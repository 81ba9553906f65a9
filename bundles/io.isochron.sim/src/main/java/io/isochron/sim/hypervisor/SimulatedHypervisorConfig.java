package io.isochron.sim.hypervisor;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(
        name = "Isochron simulated hypervisor",
        description = "Plays a scenario in real or scaled time as if it were the hypervisor, for the sim "
                + "profile and for testing without hardware. A bad value is rejected and the last good "
                + "configuration keeps running.")
@interface SimulatedHypervisorConfig {
    @AttributeDefinition(name = "Scenario file",
            description = "Path of a scenario YAML file (docs/scenarios.md); empty for the built-in default plant.")
    String scenario() default "";

    @AttributeDefinition(name = "Time scale", min = "0.001", max = "1000",
            description = "Simulated seconds per wall-clock second: 1 = real time, 10 = ten times faster.")
    double timeScale() default 1.0;

    @AttributeDefinition(name = "Repeat", description = "Restart each vCPU's jobs after its last one, so that jobs keep arriving.")
    boolean repeat() default true;
}
