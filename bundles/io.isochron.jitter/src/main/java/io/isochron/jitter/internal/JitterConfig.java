package io.isochron.jitter.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;

@ObjectClassDefinition(name = "Isochron jitter monitor",
        description = "Measures how late a periodic real-time thread on the host wakes up (native probe or "
                + "cyclictest) and collects the guests' control-cycle reports, in windows.")
public @interface JitterConfig {
    @AttributeDefinition(name = "Host source", options = {
        @Option(label = "Native probe (SCHED_FIFO pthread in the appliance)", value = "native"),
        @Option(label = "cyclictest from rt-tests, as a child process", value = "cyclictest"),
        @Option(label = "Off (guest reports only)", value = "off")})
    String source() default "native";

    @AttributeDefinition(name = "Cycle (µs)", description = "Wake-up period of the host probe; 100..10000")
    long intervalMicros() default 1000;

    @AttributeDefinition(name = "SCHED_FIFO priority", description = "1..99; 0 runs the probe at SCHED_OTHER")
    int priority() default 80;

    @AttributeDefinition(name = "CPU", description = "Pin the probe to this CPU; -1: no pinning")
    int cpu() default -1;

    @AttributeDefinition(name = "Window (s)", description = "Statistics cover this many seconds; 1..3600")
    int windowSeconds() default 10;

    @AttributeDefinition(name = "p99 limit (µs)", description = "Health is OFF_SPEC above it; 0: no limit")
    double p99LimitMicros() default 0;

    @AttributeDefinition(name = "Max limit (µs)", description = "Health is OFF_SPEC above it; 0: no limit")
    double maxLimitMicros() default 0;

    @AttributeDefinition(name = "cyclictest executable", description = "Name on the PATH or absolute path")
    String cyclictestPath() default "cyclictest";

    @AttributeDefinition(name = "Lock memory", description = "mlockall before starting the native probe")
    boolean lockMemory() default true;
}
