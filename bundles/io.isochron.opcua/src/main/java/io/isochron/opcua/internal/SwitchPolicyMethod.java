package io.isochron.opcua.internal;

import io.isochron.api.runtime.PolicyControl;
import org.eclipse.milo.opcua.sdk.core.ValueRanks;
import org.eclipse.milo.opcua.sdk.server.methods.AbstractMethodInvocationHandler;
import org.eclipse.milo.opcua.sdk.server.methods.InvalidArgumentException;
import org.eclipse.milo.opcua.sdk.server.nodes.UaMethodNode;
import org.eclipse.milo.opcua.stack.core.NodeIds;
import org.eclipse.milo.opcua.stack.core.StatusCodes;
import org.eclipse.milo.opcua.stack.core.types.builtin.DiagnosticInfo;
import org.eclipse.milo.opcua.stack.core.types.builtin.LocalizedText;
import org.eclipse.milo.opcua.stack.core.types.builtin.StatusCode;
import org.eclipse.milo.opcua.stack.core.types.builtin.Variant;
import org.eclipse.milo.opcua.stack.core.types.structured.Argument;

/**
 * {@code SwitchPolicy(Policy, OverlapPercent) -> PreviousPolicy} through {@link PolicyControl}.
 * Who may call it is decided before: the node's UserExecutable is false for non-operators.
 */
final class SwitchPolicyMethod extends AbstractMethodInvocationHandler {
    static final Argument POLICY = new Argument("Policy", NodeIds.String, ValueRanks.Scalar, null,
            LocalizedText.english("The policy to switch to, one of Scheduler/AvailablePolicies"));
    static final Argument OVERLAP = new Argument("OverlapPercent", NodeIds.Double, ValueRanks.Scalar, null,
            LocalizedText.english("Allowed same-category co-running time, 0..100 % (used by interference-aware)"));
    static final Argument PREVIOUS = new Argument("PreviousPolicy", NodeIds.String, ValueRanks.Scalar, null,
            LocalizedText.english("The policy that was active before the switch"));

    private final PolicyControl control;
    private final Runnable afterSwitch;

    SwitchPolicyMethod(UaMethodNode node, PolicyControl control, Runnable afterSwitch) {
        super(node);
        this.control = control;
        this.afterSwitch = afterSwitch;
    }

    @Override
    public Argument[] getInputArguments() {
        return new Argument[] {POLICY, OVERLAP};
    }

    @Override
    public Argument[] getOutputArguments() {
        return new Argument[] {PREVIOUS};
    }

    @Override
    protected Variant[] invoke(InvocationContext context, Variant[] inputs) throws InvalidArgumentException {
        String policy = (String) inputs[0].value();
        Double overlap = (Double) inputs[1].value();
        String previous;
        try {
            previous = control.switchPolicy(policy, overlap == null ? Double.NaN : overlap);
        } catch (IllegalArgumentException e) {
            // PolicyControl changed nothing; its message names the value and what is allowed.
            boolean policyIsBad = policy == null || !control.available().contains(policy);
            StatusCode bad = new StatusCode(StatusCodes.Bad_InvalidArgument);
            var info = new DiagnosticInfo(-1, -1, -1, -1, e.getMessage(), null, null);
            throw new InvalidArgumentException(
                    policyIsBad ? new StatusCode[] {bad, StatusCode.GOOD} : new StatusCode[] {StatusCode.GOOD, bad},
                    policyIsBad ? new DiagnosticInfo[] {info, DiagnosticInfo.NULL_VALUE}
                            : new DiagnosticInfo[] {DiagnosticInfo.NULL_VALUE, info});
        }
        afterSwitch.run();
        return new Variant[] {new Variant(previous)};
    }
}
