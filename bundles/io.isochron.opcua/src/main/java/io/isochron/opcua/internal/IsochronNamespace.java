package io.isochron.opcua.internal;

import static org.eclipse.milo.opcua.stack.core.types.builtin.unsigned.Unsigned.uint;
import static org.eclipse.milo.opcua.stack.core.types.builtin.unsigned.Unsigned.ulong;

import io.isochron.api.runtime.Health;
import io.isochron.api.runtime.JitterStats;
import io.isochron.api.runtime.PolicyControl;
import io.isochron.api.runtime.SchedulerStateSource;
import io.isochron.api.runtime.TelemetryBufferStats;
import io.isochron.api.telemetry.Point;
import io.isochron.api.telemetry.Snapshot;
import io.isochron.api.telemetry.TelemetryModel;
import io.isochron.api.telemetry.Unit;
import io.isochron.log.RateLimitedLog;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
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
 * The address space under Objects/Isochron, built from the telemetry model ({@link TelemetryModel}):
 * every point is a variable at its path; the top-level {@link TelemetryModel#FOLDERS} are folders and
 * every other parent an object. String node ids are the browse paths
 * ({@code ns=<urn:isochron:appliance>;s=Isochron/Scheduler/ActivePolicy}). Of its own it adds only
 * what is OPC UA's: the {@code Scheduler/SwitchPolicy} method with {@code Scheduler/AvailablePolicies},
 * and the Health enumeration type.
 *
 * <p>Values follow the model on a sampling thread of our own; a node is written only when its value
 * changed, nodes appear with their points and are deleted with them (a VM that goes). Monitored
 * items are fed on change (no per-item polling), so the cost of a subscription does not grow with
 * its sampling rate.
 */
final class IsochronNamespace extends ManagedNamespaceWithLifecycle {
    static final String URI = "urn:isochron:appliance";
    static final String ROOT = "Isochron";
    private static final String SCHEDULER = "Scheduler";

    private static final System.Logger LOG = System.getLogger(OpcUaConfig.PID);
    private static final StatusCode WAITING = new StatusCode(StatusCodes.Bad_WaitingForInitialData);
    private static final StatusCode GONE = new StatusCode(StatusCodes.Bad_NodeIdUnknown);

    private final SchedulerStateSource state;
    private final PolicyControl control;
    private final Supplier<List<JitterStats>> jitter;
    private final Supplier<TelemetryBufferStats> buffer;
    private final Predicate<Session> mayOperate;
    private final long samplingMillis;

    /** Orders value pushes against the first value of a new monitored item. */
    private final Object lock = new Object();
    private final Map<NodeId, Set<DataItem>> monitored = new ConcurrentHashMap<>();
    private volatile ScheduledExecutorService sampler;
    private final RateLimitedLog failureLog = new RateLimitedLog(LOG, Duration.ofMinutes(1));
    private boolean failing;

    private UaFolderNode root;
    private NodeId healthType;
    private UaVariableNode availablePolicies;
    /** Folders and objects by path; the static ones are never removed. */
    private final Map<String, UaNode> parents = new HashMap<>();
    private final Set<String> staticParents = new HashSet<>();
    private final Map<String, UaVariableNode> variables = new HashMap<>();

    /**
     * @param buffer the MQTT store-and-forward buffer's counters, null while MQTT does not run
     * @param mayOperate whether a session may call SwitchPolicy
     * @param samplingMillis how often values follow the scheduler
     */
    IsochronNamespace(OpcUaServer server, SchedulerStateSource state, PolicyControl control,
            Supplier<List<JitterStats>> jitter, Supplier<TelemetryBufferStats> buffer, Predicate<Session> mayOperate,
            long samplingMillis) {
        super(server, URI);
        this.state = state;
        this.control = control;
        this.jitter = jitter;
        this.buffer = buffer;
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
        root = new UaFolderNode(getNodeContext(), newNodeId(ROOT), newQualifiedName(ROOT), LocalizedText.english(ROOT));
        getNodeManager().addNode(root);
        root.addReference(new Reference(root.getNodeId(), NodeIds.Organizes, NodeIds.ObjectsFolder.expanded(),
                Reference.Direction.INVERSE));
        parents.put("", root);
        staticParents.add("");
        UaNode scheduler = parent(SCHEDULER);
        staticParents.add(SCHEDULER);
        availablePolicies = arrayVariable(scheduler, ROOT + "/" + SCHEDULER, "AvailablePolicies", NodeIds.String,
                new String[0]);
        addSwitchPolicy((UaObjectNode) scheduler, ROOT + "/" + SCHEDULER);
        for (String folder : TelemetryModel.FOLDERS.stream().sorted().toList()) {
            parent(folder);
            staticParents.add(folder);
        }
        healthType = addHealthEnumeration();
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

    /**
     * The folder or object at {@code path} (relative to the root), made with its parents when missing:
     * a top-level folder of the model organizes; everything else is an object, organized by a folder
     * or the root and a component of an object.
     */
    private UaNode parent(String path) {
        UaNode existing = parents.get(path);
        if (existing != null) {
            return existing;
        }
        String parentPath = parentOf(path);
        String name = nameOf(path);
        UaNode above = parent(parentPath);
        NodeId id = newNodeId(ROOT + "/" + path);
        UaNode node;
        if (parentPath.isEmpty() && TelemetryModel.FOLDERS.contains(name)) {
            UaFolderNode folder = new UaFolderNode(getNodeContext(), id, newQualifiedName(name),
                    LocalizedText.english(name));
            getNodeManager().addNode(folder);
            ((UaFolderNode) above).addOrganizes(folder);
            node = folder;
        } else {
            node = new UaObjectNode.UaObjectNodeBuilder(getNodeContext())
                    .setNodeId(id)
                    .setBrowseName(newQualifiedName(name))
                    .setDisplayName(LocalizedText.english(name))
                    .setTypeDefinition(NodeIds.BaseObjectType)
                    .build();
            getNodeManager().addNode(node);
            NodeId reference = above instanceof UaFolderNode ? NodeIds.Organizes : NodeIds.HasComponent;
            above.addReference(new Reference(above.getNodeId(), reference, node.getNodeId().expanded(), true));
        }
        parents.put(path, node);
        return node;
    }

    private static String parentOf(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? "" : path.substring(0, slash);
    }

    private static String nameOf(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    /** The variable of {@code p}, made (with its parents) when missing. */
    private UaVariableNode variable(Point p) {
        UaVariableNode node = variables.get(p.path());
        if (node == null) {
            node = newVariable(p);
            variables.put(p.path(), node);
        }
        return node;
    }

    private UaVariableNode newVariable(Point p) {
        String parentPath = parentOf(p.path());
        String name = nameOf(p.path());
        UaNode above = parent(parentPath);
        String nodeParent = parentPath.isEmpty() ? ROOT : ROOT + "/" + parentPath;
        return switch (p.kind()) {
            case STRING -> plain(above, nodeParent, name, NodeIds.String);
            case INT32 -> plain(above, nodeParent, name, NodeIds.Int32);
            case UINT64 -> plain(above, nodeParent, name, NodeIds.UInt64);
            case HEALTH -> plain(above, nodeParent, name, healthType);
            case DOUBLE -> p.unit() == Unit.NONE ? plain(above, nodeParent, name, NodeIds.Double)
                    : analog(above, nodeParent, name, Units.of(p.unit()), new Range(0.0, p.rangeHigh()));
        };
    }

    private UaVariableNode plain(UaNode parent, String parentPath, String name, NodeId dataType) {
        UaVariableNode node = variableBuilder(parentPath, name, dataType).build();
        node.setValue(new DataValue(Variant.NULL_VALUE, WAITING));
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
        node.setValue(new DataValue(Variant.NULL_VALUE, WAITING));
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

    /** Deletes {@code node} with its components and tells the items monitoring them that they are gone. */
    private void remove(String path, UaNode node) {
        String prefix = node.getNodeId().getIdentifier() + "/";
        node.delete();
        parents.keySet().removeIf(p -> p.equals(path) || p.startsWith(path + "/"));
        variables.keySet().removeIf(p -> p.startsWith(path + "/"));
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
            TelemetryBufferStats b = buffer.get();
            Snapshot s = TelemetryModel.of(state.snapshot(), jitter.get(), b);
            List<String> policies = control.available();
            synchronized (lock) {
                apply(s, policies);
            }
            if (failing) {
                failing = false;
                LOG.log(Level.INFO, "OPC UA values follow the scheduler again");
            }
        } catch (RuntimeException e) {
            // A failing source must not flood the log every sampling interval.
            failing = true;
            failureLog.log(Level.WARNING, "OPC UA values are not updated: " + e, e);
        }
    }

    private void apply(Snapshot s, List<String> policies) {
        set(availablePolicies, policies.toArray(String[]::new));
        Set<String> present = new HashSet<>(staticParents);
        for (Point p : s.points()) {
            UaVariableNode node = variable(p);
            if (p.value() == null) {
                setWaiting(node);
            } else {
                set(node, wire(p));
            }
            String path = p.path();
            for (int slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1)) {
                present.add(path.substring(0, slash));
            }
        }
        // Outermost first: removing a VM's object takes its vCPUs and jitter with it.
        for (String path : parents.keySet().stream().filter(p -> !present.contains(p)).sorted().toList()) {
            UaNode node = parents.get(path);
            if (node != null) {
                remove(path, node);
            }
        }
    }

    /** The value as OPC UA carries it. */
    private static Object wire(Point p) {
        return switch (p.kind()) {
            case UINT64 -> ulong((Long) p.value());
            case HEALTH -> ((Health) p.value()).ordinal();
            default -> p.value();
        };
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
