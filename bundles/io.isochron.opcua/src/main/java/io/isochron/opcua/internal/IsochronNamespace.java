package io.isochron.opcua.internal;

import static org.eclipse.milo.opcua.stack.core.types.builtin.unsigned.Unsigned.uint;
import static org.eclipse.milo.opcua.stack.core.types.builtin.unsigned.Unsigned.ulong;

import io.isochron.api.IoCategory;
import io.isochron.api.runtime.Health;
import io.isochron.api.runtime.JitterStats;
import io.isochron.api.runtime.PolicyControl;
import io.isochron.api.runtime.SchedulerState;
import io.isochron.api.runtime.SchedulerStateSource;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.eclipse.milo.opcua.sdk.core.AccessLevel;
import org.eclipse.milo.opcua.sdk.core.Reference;
import org.eclipse.milo.opcua.sdk.core.ValueRanks;
import org.eclipse.milo.opcua.sdk.server.Lifecycle;
import org.eclipse.milo.opcua.sdk.server.ManagedNamespaceWithLifecycle;
import org.eclipse.milo.opcua.sdk.server.OpcUaServer;
import org.eclipse.milo.opcua.sdk.server.Session;
import org.eclipse.milo.opcua.sdk.server.items.DataItem;
import org.eclipse.milo.opcua.sdk.server.items.MonitoredItem;
import org.eclipse.milo.opcua.sdk.server.model.variables.AnalogUnitRangeTypeNode;
import org.eclipse.milo.opcua.sdk.server.nodes.UaDataTypeNode;
import org.eclipse.milo.opcua.sdk.server.nodes.UaFolderNode;
import org.eclipse.milo.opcua.sdk.server.nodes.UaMethodNode;
import org.eclipse.milo.opcua.sdk.server.nodes.UaNode;
import org.eclipse.milo.opcua.sdk.server.nodes.UaObjectNode;
import org.eclipse.milo.opcua.sdk.server.nodes.UaVariableNode;
import org.eclipse.milo.opcua.sdk.server.nodes.factories.NodeFactory;
import org.eclipse.milo.opcua.sdk.server.nodes.filters.AttributeFilter;
import org.eclipse.milo.opcua.sdk.server.nodes.filters.AttributeFilterContext;
import org.eclipse.milo.opcua.stack.core.AttributeId;
import org.eclipse.milo.opcua.stack.core.NodeIds;
import org.eclipse.milo.opcua.stack.core.StatusCodes;
import org.eclipse.milo.opcua.stack.core.UaException;
import org.eclipse.milo.opcua.stack.core.types.builtin.DataValue;
import org.eclipse.milo.opcua.stack.core.types.builtin.DateTime;
import org.eclipse.milo.opcua.stack.core.types.builtin.LocalizedText;
import org.eclipse.milo.opcua.stack.core.types.builtin.NodeId;
import org.eclipse.milo.opcua.stack.core.types.builtin.QualifiedName;
import org.eclipse.milo.opcua.stack.core.types.builtin.StatusCode;
import org.eclipse.milo.opcua.stack.core.types.builtin.Variant;
import org.eclipse.milo.opcua.stack.core.types.builtin.unsigned.UInteger;
import org.eclipse.milo.opcua.stack.core.types.enumerated.TimestampsToReturn;
import org.eclipse.milo.opcua.stack.core.types.structured.EUInformation;
import org.eclipse.milo.opcua.stack.core.types.structured.EnumDefinition;
import org.eclipse.milo.opcua.stack.core.types.structured.EnumField;
import org.eclipse.milo.opcua.stack.core.types.structured.Range;
import org.eclipse.milo.opcua.stack.core.types.structured.ReadValueId;

/**
 * The address space of ARCHITECTURE "External contracts" under Objects/Isochron. String node ids
 * are the browse paths ({@code ns=<urn:isochron:appliance>;s=Isochron/Scheduler/ActivePolicy}).
 *
 * <p>Values follow {@link SchedulerStateSource#snapshot()} on a sampling thread of our own; a node
 * is written only when its value changed. Monitored items are fed on change (no per-item polling),
 * so the cost of a subscription does not grow with its sampling rate.
 */
final class IsochronNamespace extends ManagedNamespaceWithLifecycle {
    static final String URI = "urn:isochron:appliance";
    static final String ROOT = "Isochron";

    /** Display ranges (EURange) of the µs values: decision latency and control-cycle jitter. */
    static final Range LATENCY_RANGE = new Range(0.0, 1_000.0);
    static final Range JITTER_RANGE = new Range(0.0, 10_000.0);
    static final Range PERCENT_RANGE = new Range(0.0, 100.0);

    private static final System.Logger LOG = System.getLogger(IsochronNamespace.class.getName());
    private static final StatusCode WAITING = new StatusCode(StatusCodes.Bad_WaitingForInitialData);
    private static final StatusCode GONE = new StatusCode(StatusCodes.Bad_NodeIdUnknown);

    private final SchedulerStateSource state;
    private final PolicyControl control;
    private final Supplier<List<JitterStats>> jitter;
    private final Predicate<Session> mayOperate;
    private final long samplingMillis;

    /** Orders value pushes against the first value of a new monitored item. */
    private final Object lock = new Object();
    private final Map<NodeId, Set<DataItem>> monitored = new ConcurrentHashMap<>();
    private volatile ScheduledExecutorService sampler;
    private boolean failing;

    private UaFolderNode cpusFolder;
    private UaFolderNode vmsFolder;
    private UaFolderNode componentsFolder;
    private UaVariableNode activePolicy;
    private UaVariableNode availablePolicies;
    private UaVariableNode overlapPercent;
    private UaVariableNode decisionCount;
    private UaVariableNode decisionLatency;
    private UaVariableNode health;
    private JitterNodes hostJitter;
    private final Map<Integer, CpuNodes> cpus = new TreeMap<>();
    private final Map<String, VmNodes> vms = new TreeMap<>();
    private final Map<IoCategory, ComponentNodes> components = new EnumMap<>(IoCategory.class);

    private record CpuNodes(UaObjectNode node, UaVariableNode runningVcpu, UaVariableNode category,
            UaVariableNode utilization) {}

    private record VcpuNodes(UaObjectNode node, UaVariableNode category, UaVariableNode state,
            UaVariableNode physicalCpu, UaVariableNode ioUtilization) {}

    private record VmNodes(UaObjectNode node, Map<Integer, VcpuNodes> vcpus, JitterNodes jitter) {}

    private record ComponentNodes(UaVariableNode utilization, UaVariableNode peak, UaVariableNode overloadSeconds) {}

    private record JitterNodes(UaVariableNode min, UaVariableNode avg, UaVariableNode max, UaVariableNode p99,
            UaVariableNode samples, UaVariableNode overruns) {
        List<UaVariableNode> all() {
            return List.of(min, avg, max, p99, samples, overruns);
        }
    }

    /**
     * @param mayOperate whether a session may call SwitchPolicy
     * @param samplingMillis how often values follow the scheduler
     */
    IsochronNamespace(OpcUaServer server, SchedulerStateSource state, PolicyControl control,
            Supplier<List<JitterStats>> jitter, Predicate<Session> mayOperate, long samplingMillis) {
        super(server, URI);
        this.state = state;
        this.control = control;
        this.jitter = jitter;
        this.mayOperate = mayOperate;
        this.samplingMillis = samplingMillis;
        getLifecycleManager().addStartupTask(this::createStaticNodes);
        getLifecycleManager().addLifecycle(new Lifecycle() {
            @Override
            public void startup() {
                sampler = Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "isochron-opcua-sampler");
                    t.setDaemon(true);
                    return t;
                });
                sampler.scheduleWithFixedDelay(IsochronNamespace.this::update, 0, samplingMillis,
                        TimeUnit.MILLISECONDS);
            }

            @Override
            public void shutdown() {
                sampler.shutdownNow();
                try {
                    sampler.awaitTermination(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
    }

    /** Brings the values up to date now instead of at the next sampling tick. */
    void refresh() {
        ScheduledExecutorService s = sampler;
        if (s != null && !s.isShutdown()) {
            s.execute(this::update);
        }
    }

    // ---- node creation ----

    private void createStaticNodes() {
        UaFolderNode root = new UaFolderNode(getNodeContext(), newNodeId(ROOT), newQualifiedName(ROOT),
                LocalizedText.english(ROOT));
        getNodeManager().addNode(root);
        root.addReference(new Reference(root.getNodeId(), NodeIds.Organizes, NodeIds.ObjectsFolder.expanded(),
                Reference.Direction.INVERSE));

        UaObjectNode scheduler = object(root, ROOT, "Scheduler", NodeIds.Organizes);
        String sp = ROOT + "/Scheduler";
        activePolicy = variable(scheduler, sp, "ActivePolicy", NodeIds.String, "");
        availablePolicies = arrayVariable(scheduler, sp, "AvailablePolicies", NodeIds.String, new String[0]);
        overlapPercent = analog(scheduler, sp, "OverlapPercent", Units.PERCENT, PERCENT_RANGE);
        decisionCount = variable(scheduler, sp, "DecisionCount", NodeIds.UInt64, ulong(0));
        decisionLatency = analog(scheduler, sp, "DecisionLatencyP99", Units.MICROSECOND, LATENCY_RANGE);
        addSwitchPolicy(scheduler, sp);

        cpusFolder = folder(root, "PhysicalCpus");
        vmsFolder = folder(root, "VirtualMachines");
        componentsFolder = folder(root, "IoComponents");
        UaFolderNode jitterFolder = folder(root, "Jitter");
        UaObjectNode host = object(jitterFolder, ROOT + "/Jitter", "Host", NodeIds.Organizes);
        hostJitter = jitterNodes(host, ROOT + "/Jitter/Host");

        NodeId healthType = addHealthEnumeration();
        health = variable(root, ROOT, "Health", healthType, Health.NORMAL.ordinal());
    }

    private void addSwitchPolicy(UaObjectNode scheduler, String parentPath) {
        UaMethodNode method = UaMethodNode.builder(getNodeContext())
                .setNodeId(newNodeId(parentPath + "/SwitchPolicy"))
                .setBrowseName(newQualifiedName("SwitchPolicy"))
                .setDisplayName(LocalizedText.english("SwitchPolicy"))
                .setDescription(LocalizedText.english(
                        "Switches the scheduling policy between two decisions; requires the operator role"))
                .build();
        SwitchPolicyMethod handler = new SwitchPolicyMethod(method, control, this::refresh);
        method.setInputArguments(handler.getInputArguments());
        method.setOutputArguments(handler.getOutputArguments());
        method.setInvocationHandler(handler);
        // The access controller denies a call when UserExecutable is false for the session.
        method.getFilterChain().addLast(new AttributeFilter() {
            @Override
            public Object getAttribute(AttributeFilterContext ctx, AttributeId attributeId) {
                if (attributeId == AttributeId.UserExecutable) {
                    return ctx.getSession().map(mayOperate::test).orElse(true);
                }
                return ctx.getAttribute(attributeId);
            }
        });
        getNodeManager().addNode(method);
        scheduler.addComponent(method);
    }

    /** An Enumeration DataType with EnumStrings, values as in OPC UA DI's DeviceHealthEnumeration. */
    private NodeId addHealthEnumeration() {
        NodeId id = newNodeId("DataTypes/HealthEnumeration");
        var type = new UaDataTypeNode(getNodeContext(), id, newQualifiedName("HealthEnumeration"),
                LocalizedText.english("HealthEnumeration"), LocalizedText.english("NAMUR NE 107 device health"),
                uint(0), uint(0), false);
        type.addReference(new Reference(id, NodeIds.HasSubtype, NodeIds.Enumeration.expanded(),
                Reference.Direction.INVERSE));
        getNodeManager().addNode(type);
        Health[] values = Health.values();
        type.setEnumStrings(Arrays.stream(values).map(h -> LocalizedText.english(h.name())).toArray(LocalizedText[]::new));
        type.setDataTypeDefinition(new EnumDefinition(Arrays.stream(values)
                .map(h -> new EnumField((long) h.ordinal(), LocalizedText.english(h.name()), LocalizedText.NULL_VALUE,
                        h.name()))
                .toArray(EnumField[]::new)));
        getServer().updateDataTypeTree();
        return id;
    }

    private UaFolderNode folder(UaFolderNode parent, String name) {
        String path = ROOT + "/" + name;
        UaFolderNode folder = new UaFolderNode(getNodeContext(), newNodeId(path), newQualifiedName(name),
                LocalizedText.english(name));
        getNodeManager().addNode(folder);
        parent.addOrganizes(folder);
        return folder;
    }

    private UaObjectNode object(UaNode parent, String parentPath, String name, NodeId referenceType) {
        UaObjectNode node = new UaObjectNode.UaObjectNodeBuilder(getNodeContext())
                .setNodeId(newNodeId(parentPath + "/" + name))
                .setBrowseName(newQualifiedName(name))
                .setDisplayName(LocalizedText.english(name))
                .setTypeDefinition(NodeIds.BaseObjectType)
                .build();
        getNodeManager().addNode(node);
        parent.addReference(new Reference(parent.getNodeId(), referenceType, node.getNodeId().expanded(), true));
        return node;
    }

    private UaVariableNode variable(UaNode parent, String parentPath, String name, NodeId dataType, Object initial) {
        UaVariableNode node = variableBuilder(parentPath, name, dataType).build();
        node.setValue(new DataValue(new Variant(initial)));
        return attach(parent, node);
    }

    private UaVariableNode arrayVariable(UaNode parent, String parentPath, String name, NodeId dataType,
            Object initial) {
        UaVariableNode node = variableBuilder(parentPath, name, dataType)
                .setValueRank(ValueRanks.OneDimension)
                .setArrayDimensions(new UInteger[] {uint(0)})
                .build();
        node.setValue(new DataValue(new Variant(initial)));
        return attach(parent, node);
    }

    private UaVariableNode.UaVariableNodeBuilder variableBuilder(String parentPath, String name, NodeId dataType) {
        return new UaVariableNode.UaVariableNodeBuilder(getNodeContext())
                .setNodeId(newNodeId(parentPath + "/" + name))
                .setBrowseName(newQualifiedName(name))
                .setDisplayName(LocalizedText.english(name))
                .setDataType(dataType)
                .setTypeDefinition(NodeIds.BaseDataVariableType)
                .setAccessLevel(AccessLevel.READ_ONLY)
                .setUserAccessLevel(AccessLevel.READ_ONLY);
    }

    /** A Double AnalogUnitRangeType item: EURange and EngineeringUnits, no optional properties. */
    private UaVariableNode analog(UaNode parent, String parentPath, String name, EUInformation unit, Range range) {
        AnalogUnitRangeTypeNode node;
        try {
            node = (AnalogUnitRangeTypeNode) getNodeFactory().createNode(newNodeId(parentPath + "/" + name),
                    NodeIds.AnalogUnitRangeType, new NodeFactory.InstantiationCallback() {
                        @Override
                        public boolean includeOptionalNode(NodeId typeDefinitionId, QualifiedName browseName) {
                            return false;
                        }
                    });
        } catch (UaException e) {
            throw new IllegalStateException("cannot instantiate AnalogUnitRangeType for " + name, e);
        }
        node.setBrowseName(newQualifiedName(name));
        node.setDisplayName(LocalizedText.english(name));
        node.setDataType(NodeIds.Double);
        node.setValueRank(ValueRanks.Scalar);
        node.setAccessLevel(AccessLevel.toValue(AccessLevel.READ_ONLY));
        node.setUserAccessLevel(AccessLevel.toValue(AccessLevel.READ_ONLY));
        node.setValue(new DataValue(new Variant(0.0)));
        node.setEuRange(range);
        node.setEngineeringUnits(unit);
        return attach(parent, node);
    }

    private UaVariableNode attach(UaNode parent, UaVariableNode node) {
        getNodeManager().addNode(node);
        parent.addReference(new Reference(parent.getNodeId(), NodeIds.HasComponent, node.getNodeId().expanded(), true));
        node.addAttributeObserver((n, attributeId, value) -> {
            if (attributeId == AttributeId.Value) {
                push(n.getNodeId(), (DataValue) value);
            }
        });
        return node;
    }

    private JitterNodes jitterNodes(UaObjectNode parent, String path) {
        JitterNodes j = new JitterNodes(
                analog(parent, path, "Min", Units.MICROSECOND, JITTER_RANGE),
                analog(parent, path, "Avg", Units.MICROSECOND, JITTER_RANGE),
                analog(parent, path, "Max", Units.MICROSECOND, JITTER_RANGE),
                analog(parent, path, "P99", Units.MICROSECOND, JITTER_RANGE),
                variable(parent, path, "Samples", NodeIds.UInt64, ulong(0)),
                variable(parent, path, "Overruns", NodeIds.UInt64, ulong(0)));
        j.all().forEach(n -> n.setValue(new DataValue(Variant.NULL_VALUE, WAITING)));
        return j;
    }

    private CpuNodes addCpu(int index) {
        String name = "Cpu" + index;
        String path = ROOT + "/PhysicalCpus/" + name;
        UaObjectNode cpu = object(cpusFolder, ROOT + "/PhysicalCpus", name, NodeIds.Organizes);
        return new CpuNodes(cpu,
                variable(cpu, path, "RunningVcpu", NodeIds.String, ""),
                variable(cpu, path, "Category", NodeIds.String, IoCategory.NONE.name()),
                analog(cpu, path, "Utilization", Units.PERCENT, PERCENT_RANGE));
    }

    private VmNodes addVm(String vm) {
        String path = ROOT + "/VirtualMachines/" + vm;
        UaObjectNode node = object(vmsFolder, ROOT + "/VirtualMachines", vm, NodeIds.Organizes);
        UaObjectNode jitterNode = object(node, path, "Jitter", NodeIds.HasComponent);
        return new VmNodes(node, new TreeMap<>(), jitterNodes(jitterNode, path + "/Jitter"));
    }

    private VcpuNodes addVcpu(VmNodes vm, String vmName, int index) {
        String name = "Vcpu" + index;
        String path = ROOT + "/VirtualMachines/" + vmName + "/" + name;
        UaObjectNode node = object(vm.node(), ROOT + "/VirtualMachines/" + vmName, name, NodeIds.HasComponent);
        return new VcpuNodes(node,
                variable(node, path, "Category", NodeIds.String, IoCategory.NONE.name()),
                variable(node, path, "State", NodeIds.String, SchedulerState.VcpuState.IDLE.name()),
                variable(node, path, "PhysicalCpu", NodeIds.Int32, -1),
                analog(node, path, "IoUtilization", Units.PERCENT, PERCENT_RANGE));
    }

    /** @param pcpus the demand on a component can reach 100 % per pCPU running one of its vCPUs */
    private ComponentNodes addComponent(IoCategory category, int pcpus) {
        String name = category.name();
        String path = ROOT + "/IoComponents/" + name;
        UaObjectNode node = object(componentsFolder, ROOT + "/IoComponents", name, NodeIds.Organizes);
        Range range = new Range(0.0, 100.0 * Math.max(1, pcpus));
        return new ComponentNodes(
                analog(node, path, "Utilization", Units.PERCENT, range),
                analog(node, path, "Peak", Units.PERCENT, range),
                variable(node, path, "OverloadSeconds", NodeIds.Double, 0.0));
    }

    /** Deletes {@code node} with its components and tells the items monitoring them that they are gone. */
    private void remove(UaObjectNode node) {
        String prefix = node.getNodeId().getIdentifier() + "/";
        node.delete();
        var gone = new DataValue(Variant.NULL_VALUE, GONE, DateTime.now(), DateTime.now());
        monitored.entrySet().removeIf(e -> {
            if (e.getKey().getIdentifier() instanceof String id && id.startsWith(prefix)) {
                e.getValue().forEach(item -> item.setValue(gone));
                return true;
            }
            return false;
        });
    }

    // ---- values ----

    private void update() {
        try {
            SchedulerState s = state.snapshot();
            List<String> policies = control.available();
            Map<String, JitterStats> jitterBySource = new HashMap<>();
            for (JitterStats j : jitter.get()) {
                jitterBySource.put(j.source(), j);
            }
            synchronized (lock) {
                apply(s, policies, jitterBySource);
            }
            if (failing) {
                failing = false;
                LOG.log(Level.INFO, "OPC UA values follow the scheduler again");
            }
        } catch (RuntimeException e) {
            // Once per episode: a failing source must not flood the log every sampling interval.
            if (!failing) {
                failing = true;
                LOG.log(Level.WARNING, "OPC UA values are not updated: " + e, e);
            }
        }
    }

    private void apply(SchedulerState s, List<String> policies, Map<String, JitterStats> jitterBySource) {
        set(activePolicy, s.policy());
        set(availablePolicies, policies.toArray(String[]::new));
        set(overlapPercent, s.overlapPercent());
        set(decisionCount, ulong(s.decisionCount()));
        set(decisionLatency, s.decisionLatencyP99Micros());
        set(health, s.health().ordinal());

        Set<Integer> seenCpus = new HashSet<>();
        for (SchedulerState.Pcpu p : s.pcpus()) {
            seenCpus.add(p.index());
            CpuNodes n = cpus.computeIfAbsent(p.index(), this::addCpu);
            set(n.runningVcpu(), p.runningVcpu());
            set(n.category(), p.category().name());
            set(n.utilization(), p.utilizationPercent());
        }
        cpus.entrySet().removeIf(e -> {
            boolean gone = !seenCpus.contains(e.getKey());
            if (gone) {
                remove(e.getValue().node());
            }
            return gone;
        });

        Map<String, List<SchedulerState.Vcpu>> byVm = new LinkedHashMap<>();
        for (SchedulerState.Vcpu v : s.vcpus()) {
            byVm.computeIfAbsent(v.vm(), k -> new ArrayList<>()).add(v);
        }
        for (Map.Entry<String, List<SchedulerState.Vcpu>> e : byVm.entrySet()) {
            String vmName = e.getKey();
            VmNodes vm = vms.computeIfAbsent(vmName, this::addVm);
            Set<Integer> seenVcpus = new HashSet<>();
            for (SchedulerState.Vcpu v : e.getValue()) {
                seenVcpus.add(v.index());
                VcpuNodes n = vm.vcpus().computeIfAbsent(v.index(), i -> addVcpu(vm, vmName, i));
                set(n.category(), v.category().name());
                set(n.state(), v.state().name());
                set(n.physicalCpu(), v.pcpu());
                set(n.ioUtilization(), v.ioPercent());
            }
            vm.vcpus().entrySet().removeIf(v -> {
                boolean gone = !seenVcpus.contains(v.getKey());
                if (gone) {
                    remove(v.getValue().node());
                }
                return gone;
            });
            setJitter(vm.jitter(), jitterBySource.get(vmName));
        }
        vms.entrySet().removeIf(e -> {
            boolean gone = !byVm.containsKey(e.getKey());
            if (gone) {
                remove(e.getValue().node());
            }
            return gone;
        });

        for (SchedulerState.Component c : s.components()) {
            ComponentNodes n = components.computeIfAbsent(c.category(), k -> addComponent(k, s.pcpus().size()));
            set(n.utilization(), c.utilizationPercent());
            set(n.peak(), c.peakPercent());
            set(n.overloadSeconds(), c.overloadSeconds());
        }
        setJitter(hostJitter, jitterBySource.get(JitterStats.HOST));
    }

    private static void setJitter(JitterNodes nodes, JitterStats stats) {
        if (stats == null) {
            nodes.all().forEach(IsochronNamespace::setWaiting);
            return;
        }
        set(nodes.min(), stats.minMicros());
        set(nodes.avg(), stats.avgMicros());
        set(nodes.max(), stats.maxMicros());
        set(nodes.p99(), stats.p99Micros());
        set(nodes.samples(), ulong(stats.samples()));
        set(nodes.overruns(), ulong(stats.overruns()));
    }

    /** Writes the node only when the value (or a bad status) changes. */
    private static void set(UaVariableNode node, Object value) {
        DataValue current = node.getValue();
        if (current.statusCode().isGood() && Objects.deepEquals(current.value().value(), value)) {
            return;
        }
        DateTime now = DateTime.now();
        node.setValue(new DataValue(new Variant(value), StatusCode.GOOD, now, now));
    }

    private static void setWaiting(UaVariableNode node) {
        if (!node.getValue().statusCode().equals(WAITING)) {
            DateTime now = DateTime.now();
            node.setValue(new DataValue(Variant.NULL_VALUE, WAITING, now, now));
        }
    }

    // ---- monitored items ----

    private void push(NodeId nodeId, DataValue value) {
        Set<DataItem> items = monitored.get(nodeId);
        if (items != null) {
            for (DataItem item : items) {
                if (item.isSamplingEnabled()) {
                    item.setValue(derived(value, item));
                }
            }
        }
    }

    private static DataValue derived(DataValue value, DataItem item) {
        TimestampsToReturn timestamps = item.getTimestampsToReturn();
        if (timestamps == null) {
            return value;
        }
        return AttributeId.Value.isEqual(item.getReadValueId().getAttributeId())
                ? DataValue.derivedValue(value, timestamps)
                : DataValue.derivedNonValue(value, timestamps);
    }

    @Override
    public void onDataItemsCreated(List<DataItem> items) {
        synchronized (lock) {
            for (DataItem item : items) {
                ReadValueId id = item.getReadValueId();
                if (AttributeId.Value.isEqual(id.getAttributeId())) {
                    monitored.computeIfAbsent(id.getNodeId(), k -> ConcurrentHashMap.newKeySet()).add(item);
                }
                // The first notification carries the current value, as with sampling.
                DataValue current = read(new ReadContext(getServer(), item.getSession()), 0.0,
                        TimestampsToReturn.Both, List.of(id)).get(0);
                item.setValue(derived(current, item));
            }
        }
    }

    @Override
    public void onDataItemsModified(List<DataItem> items) {
        // Values are pushed on change: a new sampling interval needs nothing here.
    }

    @Override
    public void onDataItemsDeleted(List<DataItem> items) {
        for (DataItem item : items) {
            Set<DataItem> set = monitored.get(item.getReadValueId().getNodeId());
            if (set != null) {
                set.remove(item);
            }
        }
    }

    @Override
    public void onMonitoringModeChanged(List<MonitoredItem> items) {
        // push() asks each item whether it samples at the time of the change.
    }
}
