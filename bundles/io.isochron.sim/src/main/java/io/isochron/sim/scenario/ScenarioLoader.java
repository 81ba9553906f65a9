package io.isochron.sim.scenario;

import io.isochron.api.IoCategory;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Reads scenario YAML (schema in docs/scenarios.md). Works on SnakeYAML's node graph so that every
 * error names the line of the offending value.
 */
public final class ScenarioLoader {
    private static final Set<String> TOP_KEYS = Set.of("name", "description", "pcpus", "unit", "vms");
    private static final Set<String> VM_KEYS = Set.of("name", "vcpus");
    private static final Set<String> VCPU_KEYS = Set.of("jobs", "periodic", "period");
    private static final Set<String> JOB_KEYS = Set.of("at", "cpu", "category", "util", "io", "deadline");
    private static final Set<String> PERIODIC_KEYS =
            Set.of("period", "cpu", "count", "offset", "deadline", "category", "util", "io");
    /** Upper bound on generated jobs per periodic vCPU, so a typo cannot exhaust memory. */
    static final long MAX_PERIODIC_JOBS = 10_000_000;

    private final String file;
    private double nanosPerUnit = 1e6;

    private ScenarioLoader(String file) {
        this.file = file;
    }

    public static Scenario load(Path path) throws ScenarioException {
        String text;
        try {
            text = Files.readString(path, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ScenarioException(path.toString(), 0, "cannot read scenario: " + e.getMessage());
        }
        return parse(path.toString(), text);
    }

    public static Scenario parse(String file, String yaml) throws ScenarioException {
        return new ScenarioLoader(file).read(new StringReader(yaml));
    }

    private Scenario read(Reader reader) throws ScenarioException {
        Node root;
        try {
            LoaderOptions options = new LoaderOptions();
            options.setAllowDuplicateKeys(false);
            root = new Yaml(options).compose(reader);
        } catch (MarkedYAMLException e) {
            int line = e.getProblemMark() != null ? e.getProblemMark().getLine() + 1 : 0;
            throw new ScenarioException(file, line, "not valid YAML: " + e.getProblem());
        } catch (RuntimeException e) {
            throw new ScenarioException(file, 0, "not valid YAML: " + e.getMessage());
        }
        if (root == null) {
            throw new ScenarioException(file, 0, "empty scenario file");
        }
        MappingNode top = mapping(root, "scenario");
        checkKeys(top, TOP_KEYS, "scenario");
        Node unitNode = optional(top, "unit");
        if (unitNode != null) {
            String unit = string(unitNode, "unit");
            switch (unit) {
                case "ms" -> nanosPerUnit = 1e6;
                case "us" -> nanosPerUnit = 1e3;
                case "ns" -> nanosPerUnit = 1;
                default -> throw error(unitNode, "unit must be ms, us or ns, got '" + unit + "'");
            }
        }
        String name = string(required(top, "name", "scenario"), "name");
        Node descNode = optional(top, "description");
        String description = descNode == null ? "" : string(descNode, "description");
        Node pcpusNode = required(top, "pcpus", "scenario");
        long pcpus = integer(pcpusNode, "pcpus");
        if (pcpus < 1 || pcpus > 4096) {
            throw error(pcpusNode, "pcpus must be within 1..4096, got " + pcpus);
        }
        SequenceNode vmsNode = sequence(required(top, "vms", "scenario"), "vms");
        if (vmsNode.getValue().isEmpty()) {
            throw error(vmsNode, "vms must list at least one VM");
        }
        List<VmSpec> vms = new ArrayList<>();
        Set<String> vmNames = new HashSet<>();
        for (Node vmNode : vmsNode.getValue()) {
            VmSpec vm = vm(vmNode);
            if (!vmNames.add(vm.name())) {
                throw error(vmNode, "duplicate VM name '" + vm.name() + "'");
            }
            vms.add(vm);
        }
        return new Scenario(name, description, (int) pcpus, vms);
    }

    private VmSpec vm(Node node) throws ScenarioException {
        MappingNode m = mapping(node, "VM");
        checkKeys(m, VM_KEYS, "VM");
        Node nameNode = required(m, "name", "VM");
        String name = string(nameNode, "name");
        if (!name.matches("[A-Za-z0-9_.-]+")) {
            throw error(nameNode, "VM name '" + name + "' may only use letters, digits, '_', '.', '-'");
        }
        SequenceNode vcpusNode = sequence(required(m, "vcpus", "VM"), "vcpus");
        if (vcpusNode.getValue().isEmpty()) {
            throw error(vcpusNode, "VM '" + name + "' needs at least one vCPU");
        }
        List<VcpuSpec> vcpus = new ArrayList<>();
        for (Node v : vcpusNode.getValue()) {
            vcpus.add(vcpu(v, vcpus.size()));
        }
        return new VmSpec(name, vcpus);
    }

    private VcpuSpec vcpu(Node node, int index) throws ScenarioException {
        MappingNode m = mapping(node, "vCPU");
        checkKeys(m, VCPU_KEYS, "vCPU");
        Node jobsNode = optional(m, "jobs");
        Node periodicNode = optional(m, "periodic");
        if ((jobsNode == null) == (periodicNode == null)) {
            throw error(node, "a vCPU needs exactly one of 'jobs' (a list) or 'periodic' (a mapping)");
        }
        if (periodicNode != null) {
            if (optional(m, "period") != null) {
                throw error(optional(m, "period"), "'period' belongs inside 'periodic'");
            }
            return periodic(periodicNode, index);
        }
        Node periodNode = optional(m, "period");
        long period = periodNode == null ? 0 : time(periodNode, "period", false);
        List<Job> jobs = new ArrayList<>();
        long previous = 0;
        for (Node j : sequence(jobsNode, "jobs").getValue()) {
            Job job = job(j);
            if (job.arrivalNanos() < previous) {
                throw error(j, "jobs must be listed in arrival order ('at' " + format(job.arrivalNanos())
                        + " comes after " + format(previous) + ")");
            }
            previous = job.arrivalNanos();
            jobs.add(job);
        }
        return new VcpuSpec(index, period, jobs);
    }

    private Job job(Node node) throws ScenarioException {
        MappingNode m = mapping(node, "job");
        checkKeys(m, JOB_KEYS, "job");
        long at = time(required(m, "at", "job"), "at", true);
        long cpu = time(required(m, "cpu", "job"), "cpu", false);
        Node deadlineNode = optional(m, "deadline");
        long deadline = deadlineNode == null ? 0 : time(deadlineNode, "deadline", false);
        return new Job(at, cpu, io(m, node), deadline);
    }

    private VcpuSpec periodic(Node node, int index) throws ScenarioException {
        MappingNode m = mapping(node, "periodic");
        checkKeys(m, PERIODIC_KEYS, "periodic");
        long period = time(required(m, "period", "periodic"), "period", false);
        Node cpuNode = required(m, "cpu", "periodic");
        long cpu = time(cpuNode, "cpu", false);
        Node countNode = required(m, "count", "periodic");
        long count = integer(countNode, "count");
        if (count < 1 || count > MAX_PERIODIC_JOBS) {
            throw error(countNode, "count must be within 1.." + MAX_PERIODIC_JOBS + ", got " + count);
        }
        Node offsetNode = optional(m, "offset");
        long offset = offsetNode == null ? 0 : time(offsetNode, "offset", true);
        Node deadlineNode = optional(m, "deadline");
        long deadline = deadlineNode == null ? period : time(deadlineNode, "deadline", false);
        if (deadline > period) {
            throw error(deadlineNode, "deadline " + format(deadline) + " exceeds period " + format(period)
                    + " (constrained deadlines only: deadline <= period)");
        }
        if (cpu > deadline) {
            throw error(cpuNode, "cpu " + format(cpu) + " exceeds the deadline " + format(deadline));
        }
        double[] io = io(m, node);
        List<Job> jobs = new ArrayList<>((int) count);
        for (long i = 0; i < count; i++) {
            jobs.add(new Job(offset + i * period, cpu, io, deadline));
        }
        return new VcpuSpec(index, period, jobs);
    }

    /** Either {@code category} (+ {@code util}) or an {@code io} mapping of category to percent. */
    private double[] io(MappingNode m, Node owner) throws ScenarioException {
        Node categoryNode = optional(m, "category");
        Node utilNode = optional(m, "util");
        Node ioNode = optional(m, "io");
        double[] io = new double[IoCategory.COMPONENT_COUNT];
        if (ioNode != null) {
            if (categoryNode != null || utilNode != null) {
                throw error(ioNode, "use either 'io' or 'category'/'util', not both");
            }
            MappingNode map = mapping(ioNode, "io");
            for (NodeTuple t : map.getValue()) {
                IoCategory c = category(t.getKeyNode());
                if (!c.isComponent()) {
                    throw error(t.getKeyNode(), "'io' lists shared components only (GPU, RAM, CACHE, ETHERNET, BUS, STORAGE)");
                }
                io[c.ordinal()] = percent(t.getValueNode(), "io." + c);
            }
            return io;
        }
        if (categoryNode == null) {
            if (utilNode != null) {
                throw error(utilNode, "'util' needs a 'category'");
            }
            return io;
        }
        IoCategory c = category(categoryNode);
        if (c.isComponent()) {
            if (utilNode == null) {
                throw error(categoryNode, "category " + c + " needs 'util' (its utilisation in percent, 0..100)");
            }
            io[c.ordinal()] = percent(utilNode, "util");
        } else if (utilNode != null) {
            throw error(utilNode, "category NONE is CPU-only and takes no 'util'");
        }
        return io;
    }

    private IoCategory category(Node node) throws ScenarioException {
        String s = string(node, "category");
        try {
            return IoCategory.parse(s);
        } catch (IllegalArgumentException e) {
            throw error(node, e.getMessage());
        }
    }

    private double percent(Node node, String key) throws ScenarioException {
        double v = number(node, key);
        if (!(v >= 0 && v <= 100)) {
            throw error(node, key + " must be within 0..100 %, got " + v);
        }
        return v;
    }

    private long time(Node node, String key, boolean zeroAllowed) throws ScenarioException {
        double v = number(node, key);
        if (v < 0 || (!zeroAllowed && v == 0)) {
            throw error(node, key + " must be " + (zeroAllowed ? ">= 0" : "> 0") + ", got " + v);
        }
        double nanos = v * nanosPerUnit;
        if (nanos > 9.0e15) {
            throw error(node, key + " " + v + " is too large (limit about 104 days)");
        }
        return Math.round(nanos);
    }

    private double number(Node node, String key) throws ScenarioException {
        String s = string(node, key);
        try {
            double v = Double.parseDouble(s);
            if (Double.isNaN(v) || Double.isInfinite(v)) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw error(node, key + " must be a number, got '" + s + "'");
        }
    }

    private long integer(Node node, String key) throws ScenarioException {
        String s = string(node, key);
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw error(node, key + " must be a whole number, got '" + s + "'");
        }
    }

    private String string(Node node, String key) throws ScenarioException {
        if (!(node instanceof ScalarNode s)) {
            throw error(node, key + " must be a single value, not a list or mapping");
        }
        return s.getValue().trim();
    }

    private MappingNode mapping(Node node, String what) throws ScenarioException {
        if (!(node instanceof MappingNode m)) {
            throw error(node, what + " must be a mapping of keys to values");
        }
        return m;
    }

    private SequenceNode sequence(Node node, String key) throws ScenarioException {
        if (!(node instanceof SequenceNode s)) {
            throw error(node, key + " must be a list");
        }
        return s;
    }

    private Node optional(MappingNode m, String key) {
        for (NodeTuple t : m.getValue()) {
            if (t.getKeyNode() instanceof ScalarNode k && k.getValue().equals(key)) {
                return t.getValueNode();
            }
        }
        return null;
    }

    private Node required(MappingNode m, String key, String what) throws ScenarioException {
        Node n = optional(m, key);
        if (n == null) {
            throw error(m, what + " is missing required key '" + key + "'");
        }
        return n;
    }

    private void checkKeys(MappingNode m, Set<String> allowed, String what) throws ScenarioException {
        for (NodeTuple t : m.getValue()) {
            String key = t.getKeyNode() instanceof ScalarNode k ? k.getValue() : "?";
            if (!allowed.contains(key)) {
                throw error(t.getKeyNode(), "unknown key '" + key + "' in " + what + " (allowed: "
                        + String.join(", ", allowed.stream().sorted().toList()) + ")");
            }
        }
    }

    private ScenarioException error(Node node, String reason) {
        return new ScenarioException(file, node.getStartMark().getLine() + 1, reason);
    }

    private String format(long nanos) {
        return Double.toString(nanos / nanosPerUnit);
    }
}
