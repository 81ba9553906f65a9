package io.isochron.opcua.internal;

import static org.eclipse.milo.opcua.stack.core.types.builtin.unsigned.Unsigned.uint;

import io.isochron.api.IoCategory;
import io.isochron.api.runtime.Health;
import io.isochron.api.runtime.PolicyControl;
import io.isochron.api.runtime.SchedulerState;
import io.isochron.api.runtime.SchedulerStateSource;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.milo.opcua.sdk.client.OpcUaClient;
import org.eclipse.milo.opcua.sdk.client.identity.AnonymousProvider;
import org.eclipse.milo.opcua.sdk.client.subscriptions.OpcUaMonitoredItem;
import org.eclipse.milo.opcua.sdk.client.subscriptions.OpcUaSubscription;
import org.eclipse.milo.opcua.stack.core.security.SecurityPolicy;
import org.eclipse.milo.opcua.stack.core.types.builtin.LocalizedText;
import org.eclipse.milo.opcua.stack.core.types.builtin.NodeId;
import org.eclipse.milo.opcua.stack.core.util.SelfSignedCertificateBuilder;
import org.eclipse.milo.opcua.stack.core.util.SelfSignedCertificateGenerator;

/**
 * OPC UA server figures, client and server in one JVM over Basic256Sha256/SignAndEncrypt on loopback:
 * (1) PolicyControl.switchPolicy -> client data change of ActivePolicy, (2) process CPU with 1,000
 * monitored items at a 10 ms sampling interval while every value changes at each sampling tick.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar io.isochron.opcua.internal.OpcUaBenchmark [switches] [cpuSeconds]</pre>
 */
public final class OpcUaBenchmark {
    private static final long SAMPLING_MS = 10;

    /** A plant whose every value changes on each snapshot, so every monitored item has data to send. */
    static final class ChangingPlant implements SchedulerStateSource, PolicyControl {
        private static final List<String> POLICIES = List.of("edf-refinement", "interference-aware", "shortest-queue");
        private volatile String policy = "interference-aware";
        private final AtomicLong ticks = new AtomicLong();

        @Override
        public String switchPolicy(String name, double overlapPercent) {
            String previous = policy;
            policy = name;
            return previous;
        }

        @Override
        public ActivePolicy active() {
            return new ActivePolicy(policy, 0, policy);
        }

        @Override
        public List<String> available() {
            return POLICIES;
        }

        @Override
        public SchedulerState snapshot() {
            long t = ticks.incrementAndGet();
            double u = t % 100;
            List<SchedulerState.Pcpu> pcpus = new ArrayList<>();
            List<SchedulerState.Vcpu> vcpus = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                pcpus.add(new SchedulerState.Pcpu(i, "vm" + i + "/0", IoCategory.component((int) (t + i) % 6), u));
            }
            for (int v = 0; v < 8; v++) {
                for (int c = 0; c < 2; c++) {
                    vcpus.add(new SchedulerState.Vcpu("vm" + v, c, IoCategory.component((int) (t + c) % 6),
                            SchedulerState.VcpuState.values()[(int) (t % 3)], (int) (t % 8), u));
                }
            }
            List<SchedulerState.Component> components = new ArrayList<>();
            for (int c = 0; c < IoCategory.COMPONENT_COUNT; c++) {
                components.add(new SchedulerState.Component(IoCategory.component(c), u, 100 + u, t / 100.0));
            }
            return new SchedulerState(System.currentTimeMillis(), "bench", policy, 0, policy, t * 1000, u / 10,
                    Health.NORMAL, "", pcpus, vcpus, components);
        }
    }

    public static void main(String[] args) throws Exception {
        int switches = args.length > 0 ? Integer.parseInt(args[0]) : 250;
        int cpuSeconds = args.length > 1 ? Integer.parseInt(args[1]) : 60;
        Path pki = Files.createTempDirectory("opcua-bench-pki");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        ChangingPlant plant = new ChangingPlant();
        var settings = new ServerSettings(port, "127.0.0.1", "localhost", Set.of(SecurityPolicy.Basic256Sha256), true,
                Map.of(), pki, (int) SAMPLING_MS, 5, 60);
        KeyPair keys = SelfSignedCertificateGenerator.generateRsaKeyPair(2048);
        X509Certificate cert = new SelfSignedCertificateBuilder(keys).setCommonName("bench")
                .setApplicationUri("urn:isochron:bench").addDnsName("localhost").build();
        Files.write(Files.createDirectories(pki.resolve("trusted/certs")).resolve("bench.der"), cert.getEncoded());

        try (IsochronServer server = IsochronServer.start(settings, plant, plant, List::of, () -> null)) {
            OpcUaClient client = OpcUaClient.create("opc.tcp://localhost:" + port + IsochronServer.PATH,
                    endpoints -> endpoints.stream()
                            .filter(e -> e.getSecurityPolicyUri().equals(SecurityPolicy.Basic256Sha256.getUri()))
                            .findFirst(),
                    transport -> {},
                    config -> config.setApplicationName(LocalizedText.english("bench"))
                            .setApplicationUri("urn:isochron:bench").setKeyPair(keys).setCertificate(cert)
                            .setCertificateChain(new X509Certificate[] {cert})
                            .setCertificateValidator((chain, uri, hosts) -> {})
                            .setIdentityProvider(new AnonymousProvider()).setRequestTimeout(uint(10_000)));
            client.connect();
            int ns = client.getNamespaceTable().getIndex(IsochronNamespace.URI).intValue();
            System.out.printf(Locale.ROOT, "server: %s, node sampling %d ms, %s%n", server.endpointUrls().get(0),
                    SAMPLING_MS, System.getProperty("java.vm.version"));
            switchLatency(client, plant, ns, switches);
            cpu(client, ns, cpuSeconds);
            client.disconnect();
        }
    }

    private static void switchLatency(OpcUaClient client, ChangingPlant plant, int ns, int switches) throws Exception {
        var subscription = new OpcUaSubscription(client, 10.0);
        subscription.create();
        var item = OpcUaMonitoredItem.newDataItem(new NodeId(ns, "Isochron/Scheduler/ActivePolicy"));
        item.setSamplingInterval(0.0);
        BlockingQueue<Object[]> seen = new LinkedBlockingQueue<>();
        item.setDataValueListener((i, v) -> seen.add(new Object[] {v.value().value(), System.nanoTime()}));
        subscription.addMonitoredItem(item);
        subscription.synchronizeMonitoredItems();
        seen.poll(10, TimeUnit.SECONDS);
        String[] cycle = {"edf-refinement", "shortest-queue", "interference-aware"};
        long[] micros = new long[switches];
        for (int i = 0; i < switches; i++) {
            String next = cycle[i % cycle.length];
            seen.clear();
            long start = System.nanoTime();
            plant.switchPolicy(next, 0);
            while (true) {
                Object[] n = seen.poll(10, TimeUnit.SECONDS);
                if (n == null) {
                    throw new IllegalStateException("no notification for switch " + i);
                }
                if (next.equals(n[0])) {
                    micros[i] = ((long) n[1] - start) / 1000;
                    break;
                }
            }
            // A random phase against the sampling tick, as an operator's switch would have.
            Thread.sleep(5 + (i * 7) % 13);
        }
        subscription.delete();
        Arrays.sort(micros);
        System.out.printf(Locale.ROOT,
                "switch -> data change (publishing 10 ms, node sampling %d ms, item sampling 0): n=%d "
                        + "min=%.1f ms p50=%.1f ms p99=%.1f ms max=%.1f ms%n",
                SAMPLING_MS, switches, micros[0] / 1e3, micros[switches / 2] / 1e3,
                micros[(int) Math.ceil(switches * 0.99) - 1] / 1e3, micros[switches - 1] / 1e3);
    }

    private static void cpu(OpcUaClient client, int ns, int seconds) throws Exception {
        List<NodeId> nodes = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            for (String f : List.of("RunningVcpu", "Category", "Utilization")) {
                nodes.add(new NodeId(ns, "Isochron/PhysicalCpus/Cpu" + i + "/" + f));
            }
            for (int c = 0; c < 2; c++) {
                for (String f : List.of("Category", "State", "PhysicalCpu", "IoUtilization")) {
                    nodes.add(new NodeId(ns, "Isochron/VirtualMachines/vm" + i + "/Vcpu" + c + "/" + f));
                }
            }
        }
        for (String f : List.of("DecisionCount", "DecisionLatencyP99")) {
            nodes.add(new NodeId(ns, "Isochron/Scheduler/" + f));
        }
        var subscription = new OpcUaSubscription(client, 100.0);
        subscription.create();
        AtomicLong notifications = new AtomicLong();
        for (int i = 0; i < 1000; i++) {
            var item = OpcUaMonitoredItem.newDataItem(nodes.get(i % nodes.size()));
            item.setSamplingInterval(10.0);
            item.setQueueSize(uint(10));
            item.setDataValueListener((it, v) -> notifications.incrementAndGet());
            subscription.addMonitoredItem(item);
        }
        subscription.synchronizeMonitoredItems();
        Thread.sleep(2000);
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long cpu0 = os.getProcessCpuTime();
        long n0 = notifications.get();
        long t0 = System.nanoTime();
        Thread.sleep(seconds * 1000L);
        double wall = (System.nanoTime() - t0) / 1e9;
        double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
        long n = notifications.get() - n0;
        subscription.delete();
        System.out.printf(Locale.ROOT,
                "1000 monitored items on %d nodes, sampling 10 ms, publishing 100 ms, all values changing every 10 ms: "
                        + "%.0f s, process CPU %.1f s = %.1f %% of one core (server and client), %.0f notifications/s%n",
                nodes.size(), wall, cpu, 100 * cpu / wall, n / wall);
    }
}
