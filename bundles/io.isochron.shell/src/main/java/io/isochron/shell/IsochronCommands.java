package io.isochron.shell;

import io.isochron.api.runtime.JitterSource;
import io.isochron.api.runtime.PolicyControl;
import io.isochron.api.runtime.SchedulerStateSource;
import io.isochron.api.runtime.TelemetryBuffer;
import io.isochron.api.telemetry.TelemetryModel;
import java.util.List;
import java.util.Locale;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * Gogo commands: {@code isochron:status}, {@code isochron:vms}, {@code isochron:policy} and
 * {@code isochron:telemetry}, every value as OPC UA and MQTT publish it.
 */
@Component(service = IsochronCommands.class, property = {
    "osgi.command.scope=isochron",
    "osgi.command.function=status",
    "osgi.command.function=vms",
    "osgi.command.function=policy",
    "osgi.command.function=telemetry"
})
public class IsochronCommands {
    @Reference
    SchedulerStateSource state;

    @Reference
    PolicyControl control;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile JitterSource jitter;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile TelemetryBuffer buffer;

    @Descriptor("every published value (the OPC UA paths below Objects/Isochron, the MQTT metric names)")
    public String telemetry() {
        return telemetry("");
    }

    @Descriptor("the published values whose path starts with a prefix")
    public String telemetry(@Descriptor("path prefix, e.g. VirtualMachines/plc1") String prefix) {
        JitterSource j = jitter;
        TelemetryBuffer b = buffer;
        return StatusFormat.telemetry(TelemetryModel.of(state.snapshot(), j == null ? List.of() : j.jitter(),
                b == null ? null : b.stats()), prefix);
    }

    @Descriptor("policy, health, decisions, per-pCPU placement, per-component utilisation and jitter")
    public String status() {
        JitterSource j = jitter;
        return StatusFormat.status(state.snapshot()) + StatusFormat.jitter(j == null ? null : j.jitter());
    }

    @Descriptor("the VMs' vCPUs: category, state and pCPU")
    public String vms() {
        return StatusFormat.vms(state.snapshot());
    }

    @Descriptor("the active policy and the available ones")
    public String policy() {
        return StatusFormat.policy(control.active(), control.available());
    }

    @Descriptor("switch to a policy (overlap 0)")
    public String policy(@Descriptor("policy name") String name) {
        return policy(name, "0");
    }

    @Descriptor("switch to a policy with an overlap percent")
    public String policy(@Descriptor("policy name") String name, @Descriptor("overlap percent, 0..100") String overlap) {
        double o;
        try {
            o = Double.parseDouble(overlap);
        } catch (NumberFormatException e) {
            return "isochron: overlap must be a number within 0..100, got '" + overlap + "'\n";
        }
        try {
            String previous = control.switchPolicy(name, o);
            return String.format(Locale.ROOT, "switched from %s to %s (overlap %.1f %%)%n", previous, name, o);
        } catch (IllegalArgumentException e) {
            return "isochron: " + e.getMessage() + "\n";
        }
    }
}
