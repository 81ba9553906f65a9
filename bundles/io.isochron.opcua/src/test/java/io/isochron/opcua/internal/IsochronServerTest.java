package io.isochron.opcua.internal;

import static io.isochron.opcua.internal.TestClients.browseTree;
import static io.isochron.opcua.internal.TestClients.node;
import static io.isochron.opcua.internal.TestClients.readAttribute;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.isochron.api.IoCategory;
import io.isochron.api.runtime.Health;
import io.isochron.api.runtime.JitterStats;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.eclipse.milo.opcua.sdk.client.OpcUaClient;
import org.eclipse.milo.opcua.sdk.client.identity.AnonymousProvider;
import org.eclipse.milo.opcua.sdk.client.identity.IdentityProvider;
import org.eclipse.milo.opcua.sdk.client.identity.UsernameProvider;
import org.eclipse.milo.opcua.sdk.client.identity.X509IdentityProvider;
import org.eclipse.milo.opcua.sdk.client.subscriptions.OpcUaMonitoredItem;
import org.eclipse.milo.opcua.sdk.client.subscriptions.OpcUaSubscription;
import org.eclipse.milo.opcua.stack.core.AttributeId;
import org.eclipse.milo.opcua.stack.core.NodeIds;
import org.eclipse.milo.opcua.stack.core.StatusCodes;
import org.eclipse.milo.opcua.stack.core.UaException;
import org.eclipse.milo.opcua.stack.core.security.SecurityPolicy;
import org.eclipse.milo.opcua.stack.core.types.builtin.DataValue;
import org.eclipse.milo.opcua.stack.core.types.builtin.ExtensionObject;
import org.eclipse.milo.opcua.stack.core.types.builtin.LocalizedText;
import org.eclipse.milo.opcua.stack.core.types.builtin.NodeId;
import org.eclipse.milo.opcua.stack.core.types.builtin.Variant;
import org.eclipse.milo.opcua.stack.core.types.builtin.unsigned.ULong;
import org.eclipse.milo.opcua.stack.core.types.enumerated.NodeClass;
import org.eclipse.milo.opcua.stack.core.types.structured.CallMethodRequest;
import org.eclipse.milo.opcua.stack.core.types.structured.CallMethodResult;
import org.eclipse.milo.opcua.stack.core.types.structured.EUInformation;
import org.eclipse.milo.opcua.stack.core.types.structured.Range;
import org.eclipse.milo.opcua.stack.core.types.structured.ReferenceDescription;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server against Milo's real client over SignAndEncrypt, with an in-memory scheduler behind it. */
class IsochronServerTest {
    private static final String OPERATOR_PASSWORD = "turn-the-knob";
    private static final String VIEWER_PASSWORD = "just-looking";

    @TempDir
    static Path pki;

    static final FakeAppliance appliance = new FakeAppliance();
    static final AtomicReference<List<JitterStats>> jitter = new AtomicReference<>(List.of());
    static IsochronServer server;
    static int port;
    static TestClients.Credentials trustedClient;
    private final List<OpcUaClient> clients = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        port = TestClients.freePort();
        var users = Stream.of(
                        UserEntry.create("op", Role.OPERATOR, OPERATOR_PASSWORD.toCharArray()),
                        UserEntry.create("view", Role.VIEWER, VIEWER_PASSWORD.toCharArray()))
                .collect(Collectors.toMap(UserEntry::name, u -> u));
        var settings = new ServerSettings(port, "127.0.0.1", "localhost",
                Set.of(SecurityPolicy.Basic256Sha256, SecurityPolicy.Aes256_Sha256_RsaPss), true, users, pki, 20, 5, 60);
        server = IsochronServer.start(settings, appliance, appliance, jitter::get, () -> null);
        trustedClient = TestClients.newCredentials("trusted");
        TestClients.trust(pki, trustedClient);
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    @AfterEach
    void disconnect() throws Exception {
        for (OpcUaClient c : clients) {
            c.disconnect();
        }
        appliance.vms("plc1", "hmi");
        appliance.health(Health.NORMAL);
        jitter.set(List.of());
    }

    private OpcUaClient connect(IdentityProvider identity) throws UaException {
        return connect(SecurityPolicy.Basic256Sha256, trustedClient, identity);
    }

    private OpcUaClient connect(SecurityPolicy policy, TestClients.Credentials credentials, IdentityProvider identity)
            throws UaException {
        OpcUaClient c = TestClients.connect(port, policy, credentials, identity, server.certificate());
        clients.add(c);
        return c;
    }

    private static void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    private static Object value(OpcUaClient client, String path) {
        try {
            return client.readValue(0.0, org.eclipse.milo.opcua.stack.core.types.enumerated.TimestampsToReturn.Neither,
                    node(client, path)).value().value();
        } catch (UaException e) {
            throw new AssertionError(e);
        }
    }

    /** Every contract path below Isochron with its data type (null for objects and methods). */
    private static Map<String, NodeId> contract(NodeId healthType, List<String> vms) {
        Map<String, NodeId> m = new LinkedHashMap<>();
        String s = "Isochron/Scheduler";
        m.put(s, null);
        m.put(s + "/ActivePolicy", NodeIds.String);
        m.put(s + "/AvailablePolicies", NodeIds.String);
        m.put(s + "/OverlapPercent", NodeIds.Double);
        m.put(s + "/DecisionCount", NodeIds.UInt64);
        m.put(s + "/DecisionLatencyP99", NodeIds.Double);
        m.put(s + "/SwitchPolicy", null);
        m.put(s + "/Enforcement", NodeIds.String);
        m.put(s + "/SchedExt", null);
        m.put(s + "/SchedExt/State", NodeIds.String);
        m.put(s + "/SchedExt/Dispatches", NodeIds.UInt64);
        m.put(s + "/SchedExt/CoRunningSeconds", NodeIds.Double);
        m.put(s + "/SchedExt/Violations", NodeIds.UInt64);
        m.put(s + "/SchedExt/DeadlineMisses", NodeIds.UInt64);
        m.put("Isochron/PhysicalCpus", null);
        for (int i = 0; i < 4; i++) {
            String c = "Isochron/PhysicalCpus/Cpu" + i;
            m.put(c, null);
            m.put(c + "/RunningVcpu", NodeIds.String);
            m.put(c + "/Category", NodeIds.String);
            m.put(c + "/Utilization", NodeIds.Double);
        }
        m.put("Isochron/VirtualMachines", null);
        for (String vm : vms) {
            String v = "Isochron/VirtualMachines/" + vm;
            m.put(v, null);
            for (int i = 0; i < 2; i++) {
                m.put(v + "/Vcpu" + i, null);
                m.put(v + "/Vcpu" + i + "/Category", NodeIds.String);
                m.put(v + "/Vcpu" + i + "/State", NodeIds.String);
                m.put(v + "/Vcpu" + i + "/PhysicalCpu", NodeIds.Int32);
                m.put(v + "/Vcpu" + i + "/IoUtilization", NodeIds.Double);
            }
            jitterContract(m, v + "/Jitter");
        }
        m.put("Isochron/IoComponents", null);
        for (int c = 0; c < IoCategory.COMPONENT_COUNT; c++) {
            String p = "Isochron/IoComponents/" + IoCategory.component(c);
            m.put(p, null);
            m.put(p + "/Utilization", NodeIds.Double);
            m.put(p + "/Peak", NodeIds.Double);
            m.put(p + "/OverloadSeconds", NodeIds.Double);
        }
        m.put("Isochron/Jitter", null);
        jitterContract(m, "Isochron/Jitter/Host");
        m.put("Isochron/Health", healthType);
        m.put("Isochron/HealthReason", NodeIds.String);
        m.put("Isochron/Telemetry", null);
        for (String counter : List.of("Buffered", "Dropped", "Corrupt")) {
            m.put("Isochron/Telemetry/" + counter, NodeIds.UInt64);
        }
        return m;
    }

    private static void jitterContract(Map<String, NodeId> m, String p) {
        m.put(p, null);
        for (String f : List.of("Min", "Avg", "Max", "P99")) {
            m.put(p + "/" + f, NodeIds.Double);
        }
        m.put(p + "/Samples", NodeIds.UInt64);
        m.put(p + "/Overruns", NodeIds.UInt64);
    }

    private static final Set<String> PROPERTIES = Set.of("EURange", "EngineeringUnits", "InputArguments",
            "OutputArguments");

    @Test
    void theAddressSpaceIsExactlyTheContract() throws Exception {
        OpcUaClient c = connect(new AnonymousProvider());
        Map<String, ReferenceDescription> tree = browseTree(c, node(c, "Isochron"), "Isochron");
        Map<String, ReferenceDescription> withoutProperties = new LinkedHashMap<>(tree);
        withoutProperties.keySet().removeIf(p -> PROPERTIES.contains(p.substring(p.lastIndexOf('/') + 1)));

        Map<String, NodeId> contract = contract(node(c, "DataTypes/HealthEnumeration"), List.of("plc1", "hmi"));
        assertThat(withoutProperties.keySet()).containsExactlyInAnyOrderElementsOf(contract.keySet());
        for (Map.Entry<String, NodeId> e : contract.entrySet()) {
            ReferenceDescription r = tree.get(e.getKey());
            NodeId id = r.getNodeId().toNodeId(c.getNamespaceTable()).orElseThrow();
            if (e.getValue() != null) {
                assertThat(r.getNodeClass()).as(e.getKey()).isEqualTo(NodeClass.Variable);
                assertThat(readAttribute(c, id, AttributeId.DataType).value().value()).as(e.getKey())
                        .isEqualTo(e.getValue());
            }
        }
        assertThat(tree.get("Isochron/Scheduler/SwitchPolicy").getNodeClass()).isEqualTo(NodeClass.Method);
        assertThat(readAttribute(c, node(c, "Isochron/Scheduler/AvailablePolicies"), AttributeId.ValueRank)
                .value().value()).isEqualTo(1);
    }

    @Test
    void percentAndMicrosecondValuesAreAnalogItemsWithRangeAndUnits() throws Exception {
        OpcUaClient c = connect(new AnonymousProvider());
        Map<String, ReferenceDescription> tree = browseTree(c, node(c, "Isochron"), "Isochron");
        List<String> analog = tree.keySet().stream()
                .filter(p -> p.endsWith("Utilization") || p.endsWith("/Peak") || p.endsWith("OverlapPercent")
                        || p.endsWith("DecisionLatencyP99") || p.matches(".*/Jitter(/Host)?/(Min|Avg|Max|P99)"))
                .toList();
        assertThat(analog).hasSize(1 + 1 + 4 + 2 * 2 + 6 * 2 + 3 * 4);
        for (String p : analog) {
            assertThat(tree.get(p).getTypeDefinition().toNodeId(c.getNamespaceTable()).orElseThrow()).as(p)
                    .isEqualTo(NodeIds.AnalogUnitRangeType);
            assertThat(tree).containsKeys(p + "/EURange", p + "/EngineeringUnits");
        }
        EUInformation percent = decode(c, tree, "Isochron/Scheduler/OverlapPercent/EngineeringUnits");
        assertThat(percent.getUnitId()).isEqualTo(20529);
        assertThat(percent.getNamespaceUri()).isEqualTo(Units.UNECE_NAMESPACE);
        assertThat(percent.getDisplayName().text()).isEqualTo("%");
        EUInformation micros = decode(c, tree, "Isochron/Jitter/Host/P99/EngineeringUnits");
        assertThat(micros.getUnitId()).isEqualTo(4340024);
        assertThat(micros.getDisplayName().text()).isEqualTo("µs");
        Range range = decode(c, tree, "Isochron/PhysicalCpus/Cpu0/Utilization/EURange");
        assertThat(List.of(range.getLow(), range.getHigh())).containsExactly(0.0, 100.0);
        Range component = decode(c, tree, "Isochron/IoComponents/GPU/Peak/EURange");
        assertThat(component.getHigh()).isEqualTo(400.0);
    }

    @SuppressWarnings("unchecked")
    private static <T> T decode(OpcUaClient c, Map<String, ReferenceDescription> tree, String path)
            throws UaException {
        NodeId id = tree.get(path).getNodeId().toNodeId(c.getNamespaceTable()).orElseThrow();
        ExtensionObject xo = (ExtensionObject) readAttribute(c, id, AttributeId.Value).value().value();
        return (T) xo.decode(c.getStaticEncodingContext());
    }

    @Test
    void valuesFollowTheScheduler() throws Exception {
        OpcUaClient c = connect(new AnonymousProvider());
        assertThat(value(c, "Isochron/Scheduler/ActivePolicy")).isEqualTo("interference-aware");
        assertThat((String[]) value(c, "Isochron/Scheduler/AvailablePolicies"))
                .containsExactlyElementsOf(FakeAppliance.POLICIES);
        assertThat(value(c, "Isochron/Scheduler/DecisionLatencyP99")).isEqualTo(0.75);
        assertThat(value(c, "Isochron/PhysicalCpus/Cpu1/RunningVcpu")).isEqualTo("hmi/0");
        assertThat(value(c, "Isochron/VirtualMachines/plc1/Vcpu0/State")).isEqualTo("RUNNING");
        assertThat(value(c, "Isochron/VirtualMachines/hmi/Vcpu0/PhysicalCpu")).isEqualTo(1);
        assertThat(value(c, "Isochron/VirtualMachines/hmi/Vcpu1/PhysicalCpu")).isEqualTo(-1);
        assertThat(value(c, "Isochron/IoComponents/GPU/Peak")).isEqualTo(113.0);
        appliance.decisions(1_000_000);
        waitFor(() -> ULong.valueOf(1_000_000).equals(value(c, "Isochron/Scheduler/DecisionCount")),
                "DecisionCount 1000000");
    }

    @Test
    void healthIsAnEnumerationWithTheNe107Names() throws Exception {
        OpcUaClient c = connect(new AnonymousProvider());
        NodeId type = node(c, "DataTypes/HealthEnumeration");
        assertThat(readAttribute(c, node(c, "Isochron/Health"), AttributeId.DataType).value().value()).isEqualTo(type);
        Map<String, ReferenceDescription> props = browseTree(c, type, "T");
        LocalizedText[] names = (LocalizedText[]) c.readValue(0.0,
                org.eclipse.milo.opcua.stack.core.types.enumerated.TimestampsToReturn.Neither,
                props.get("T/EnumStrings").getNodeId().toNodeId(c.getNamespaceTable()).orElseThrow()).value().value();
        assertThat(Stream.of(names).map(LocalizedText::text))
                .containsExactly("NORMAL", "FAILURE", "CHECK_FUNCTION", "OFF_SPEC", "MAINTENANCE_REQUIRED");
        assertThat(value(c, "Isochron/Health")).isEqualTo(0);
        appliance.health(Health.OFF_SPEC);
        waitFor(() -> Integer.valueOf(3).equals(value(c, "Isochron/Health")), "Health OFF_SPEC (3)");
    }

    @Test
    void aSubscriptionSeesThePolicySwitch() throws Exception {
        OpcUaClient c = connect(new AnonymousProvider());
        var subscription = new OpcUaSubscription(c, 50.0);
        subscription.create();
        var item = OpcUaMonitoredItem.newDataItem(node(c, "Isochron/Scheduler/ActivePolicy"));
        item.setSamplingInterval(20.0);
        BlockingQueue<Object> seen = new LinkedBlockingQueue<>();
        item.setDataValueListener((i, v) -> seen.add(v.value().value()));
        subscription.addMonitoredItem(item);
        subscription.synchronizeMonitoredItems();
        assertThat(seen.poll(10, TimeUnit.SECONDS)).isEqualTo("interference-aware");
        try {
            appliance.switchPolicy("edf-refinement", 0);
            assertThat(seen.poll(10, TimeUnit.SECONDS)).isEqualTo("edf-refinement");
        } finally {
            appliance.switchPolicy("interference-aware", 0);
        }
    }

    private static CallMethodResult switchPolicy(OpcUaClient c, Object policy, Object overlap) throws UaException {
        var request = new CallMethodRequest(node(c, "Isochron/Scheduler"), node(c, "Isochron/Scheduler/SwitchPolicy"),
                new Variant[] {new Variant(policy), new Variant(overlap)});
        return c.call(List.of(request)).getResults()[0];
    }

    @Test
    void anonymousAndViewersMayNotSwitch() throws Exception {
        int before = appliance.switches.get();
        OpcUaClient anonymous = connect(new AnonymousProvider());
        assertThat(switchPolicy(anonymous, "shortest-queue", 0.0).getStatusCode().value())
                .isEqualTo(StatusCodes.Bad_UserAccessDenied);
        OpcUaClient viewer = connect(new UsernameProvider("view", VIEWER_PASSWORD));
        assertThat(switchPolicy(viewer, "shortest-queue", 0.0).getStatusCode().value())
                .isEqualTo(StatusCodes.Bad_UserAccessDenied);
        assertThat(readAttribute(viewer, node(viewer, "Isochron/Scheduler/SwitchPolicy"), AttributeId.UserExecutable)
                .value().value()).isEqualTo(false);
        assertThat(appliance.switches.get()).isEqualTo(before);
        assertThat(appliance.active().name()).isEqualTo("interference-aware");
    }

    @Test
    void anOperatorSwitchesAndGetsThePreviousPolicy() throws Exception {
        OpcUaClient op = connect(SecurityPolicy.Aes256_Sha256_RsaPss, trustedClient,
                new UsernameProvider("op", OPERATOR_PASSWORD));
        try {
            CallMethodResult r = switchPolicy(op, "shortest-queue", 25.0);
            assertThat(r.getStatusCode().isGood()).as(r.getStatusCode().toString()).isTrue();
            assertThat(r.getOutputArguments()[0].value()).isEqualTo("interference-aware");
            assertThat(appliance.active()).extracting(a -> a.name(), a -> a.overlapPercent())
                    .containsExactly("shortest-queue", 25.0);
            waitFor(() -> "shortest-queue".equals(value(op, "Isochron/Scheduler/ActivePolicy")), "new policy shown");
        } finally {
            appliance.switchPolicy("interference-aware", 0);
        }
    }

    @Test
    void badArgumentsAreInvalidWithTheReasonAndChangeNothing() throws Exception {
        OpcUaClient op = connect(new UsernameProvider("op", OPERATOR_PASSWORD));
        int before = appliance.switches.get();

        CallMethodResult badPolicy = switchPolicy(op, "round-robin", 0.0);
        assertThat(badPolicy.getStatusCode().value()).isEqualTo(StatusCodes.Bad_InvalidArgument);
        assertThat(badPolicy.getInputArgumentResults()[0].value()).isEqualTo(StatusCodes.Bad_InvalidArgument);
        assertThat(badPolicy.getInputArgumentResults()[1].isGood()).isTrue();
        assertThat(badPolicy.getInputArgumentDiagnosticInfos()[0].additionalInfo())
                .contains("'round-robin'", "allowed: edf-refinement, interference-aware, shortest-queue");

        CallMethodResult badOverlap = switchPolicy(op, "shortest-queue", 150.0);
        assertThat(badOverlap.getStatusCode().value()).isEqualTo(StatusCodes.Bad_InvalidArgument);
        assertThat(badOverlap.getInputArgumentResults()[1].value()).isEqualTo(StatusCodes.Bad_InvalidArgument);
        assertThat(badOverlap.getInputArgumentDiagnosticInfos()[1].additionalInfo()).contains("150.0", "0..100");

        CallMethodResult wrongType = switchPolicy(op, "shortest-queue", "ten");
        assertThat(wrongType.getStatusCode().value()).isEqualTo(StatusCodes.Bad_InvalidArgument);

        assertThat(appliance.switches.get()).isEqualTo(before);
        assertThat(appliance.active().name()).isEqualTo("interference-aware");
    }

    @Test
    void aWrongPasswordIsRejected() {
        assertThatThrownBy(() -> connect(new UsernameProvider("op", "guess")))
                .isInstanceOf(UaException.class)
                .satisfies(e -> assertThat(((UaException) e).getStatusCode().value())
                        .isEqualTo(StatusCodes.Bad_UserAccessDenied));
    }

    @Test
    void aTrustedX509UserIsAnOperatorAndAnUnknownOneIsRejected() throws Exception {
        TestClients.Credentials user = TestClients.newCredentials("alice");
        assertThatThrownBy(() -> connect(SecurityPolicy.Basic256Sha256, trustedClient,
                new X509IdentityProvider(user.certificate(), user.keyPair().getPrivate())))
                .isInstanceOf(UaException.class);

        Files.write(pki.resolve("users/alice.der"), user.certificate().getEncoded());
        OpcUaClient alice = connect(SecurityPolicy.Basic256Sha256, trustedClient,
                new X509IdentityProvider(user.certificate(), user.keyPair().getPrivate()));
        try {
            CallMethodResult r = switchPolicy(alice, "edf-refinement", 0.0);
            assertThat(r.getStatusCode().isGood()).as(r.getStatusCode().toString()).isTrue();
        } finally {
            appliance.switchPolicy("interference-aware", 0);
        }
    }

    @Test
    void anUntrustedClientIsRejectedAndItsCertificateLandsInRejected() throws Exception {
        TestClients.Credentials stranger = TestClients.newCredentials("stranger");
        assertThatThrownBy(() -> connect(SecurityPolicy.Basic256Sha256, stranger, new AnonymousProvider()))
                .isInstanceOf(UaException.class);
        try (Stream<Path> rejected = Files.list(pki.resolve("rejected"))) {
            List<byte[]> contents = new ArrayList<>();
            for (Path p : rejected.toList()) {
                contents.add(Files.readAllBytes(p));
            }
            assertThat(contents).anySatisfy(b -> assertThat(b).isEqualTo(stranger.certificate().getEncoded()));
        }
    }

    @Test
    void vmNodesFollowTheVmsAndMonitoredItemsOfAGoneVmAreTold() throws Exception {
        OpcUaClient c = connect(new AnonymousProvider());
        var subscription = new OpcUaSubscription(c, 50.0);
        subscription.create();
        var item = OpcUaMonitoredItem.newDataItem(node(c, "Isochron/VirtualMachines/hmi/Vcpu0/State"));
        BlockingQueue<DataValue> seen = new LinkedBlockingQueue<>();
        item.setDataValueListener((i, v) -> seen.add(v));
        subscription.addMonitoredItem(item);
        subscription.synchronizeMonitoredItems();
        assertThat(seen.poll(10, TimeUnit.SECONDS).value().value()).isEqualTo("RUNNING");

        appliance.vms("plc1", "hmi", "edge");
        waitFor(() -> vmsIn(c).equals(Set.of("plc1", "hmi", "edge")), "VM edge added");
        assertThat(browseTree(c, node(c, "Isochron/VirtualMachines/edge"), "edge"))
                .containsKeys("edge/Vcpu0/State", "edge/Vcpu1/IoUtilization", "edge/Jitter/P99");

        appliance.vms("plc1");
        waitFor(() -> vmsIn(c).equals(Set.of("plc1")), "VMs hmi and edge removed");
        assertThat(readAttribute(c, node(c, "Isochron/VirtualMachines/hmi/Vcpu0/State"), AttributeId.Value)
                .statusCode().value()).isEqualTo(StatusCodes.Bad_NodeIdUnknown);
        DataValue last = seen.poll(10, TimeUnit.SECONDS);
        assertThat(last.statusCode().value()).isEqualTo(StatusCodes.Bad_NodeIdUnknown);
    }

    private static Set<String> vmsIn(OpcUaClient c) {
        try {
            return browseTree(c, node(c, "Isochron/VirtualMachines"), "").keySet().stream()
                    .map(p -> p.split("/")[1]).collect(Collectors.toSet());
        } catch (UaException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void jitterWaitsForItsSourceThenShowsItsStatistics() throws Exception {
        OpcUaClient c = connect(new AnonymousProvider());
        for (String p : List.of("Isochron/Jitter/Host/P99", "Isochron/VirtualMachines/plc1/Jitter/Samples")) {
            assertThat(readAttribute(c, node(c, p), AttributeId.Value).statusCode().value()).as(p)
                    .isEqualTo(StatusCodes.Bad_WaitingForInitialData);
        }
        jitter.set(List.of(new JitterStats(JitterStats.HOST, 1000, 1.5, 3.0, 40.0, 12.5, 30.0, 60_000, 2),
                new JitterStats("plc1", 1000, 2.0, 4.0, 90.0, 20.0, 70.0, 5_000, 0)));
        waitFor(() -> Double.valueOf(12.5).equals(value(c, "Isochron/Jitter/Host/P99")), "host P99");
        assertThat(value(c, "Isochron/Jitter/Host/Overruns")).isEqualTo(ULong.valueOf(2));
        assertThat(value(c, "Isochron/VirtualMachines/plc1/Jitter/Samples")).isEqualTo(ULong.valueOf(5_000));
        assertThat(value(c, "Isochron/VirtualMachines/plc1/Jitter/Max")).isEqualTo(90.0);
        assertThat(readAttribute(c, node(c, "Isochron/VirtualMachines/hmi/Jitter/Avg"), AttributeId.Value)
                .statusCode().value()).isEqualTo(StatusCodes.Bad_WaitingForInitialData);
    }
}
