package io.isochron.analysis.taskset;

import io.isochron.analysis.Demand;
import io.isochron.analysis.Ratio;
import io.isochron.analysis.Task;
import io.isochron.analysis.Time;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Reads a task set: {@code tasks:} a list of {@code {name, wcet, period, deadline}} in milliseconds,
 * {@code deadline} defaulting to {@code period}. Works on SnakeYAML's node graph so that every error
 * names the line of the offending value.
 */
public final class TaskSetLoader {
    private static final Set<String> TOP_KEYS = new TreeSet<>(Set.of("tasks"));
    private static final Set<String> TASK_KEYS = new TreeSet<>(Set.of("name", "wcet", "period", "deadline"));

    private final String file;

    private TaskSetLoader(String file) {
        this.file = file;
    }

    /** Loads the file and checks that its utilisation fits on {@code vcpus} processors. */
    public static List<Task> load(Path path, int vcpus) throws TaskSetException {
        String text;
        try {
            text = Files.readString(path, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new TaskSetException(path.toString(), 0, "cannot read task set: " + e.getMessage());
        }
        return parse(path.toString(), text, vcpus);
    }

    public static List<Task> parse(String file, String yaml, int vcpus) throws TaskSetException {
        return new TaskSetLoader(file).read(yaml, vcpus);
    }

    private List<Task> read(String yaml, int vcpus) throws TaskSetException {
        Node root;
        try {
            root = new Yaml(new LoaderOptions()).compose(new StringReader(yaml));
        } catch (MarkedYAMLException e) {
            int line = e.getProblemMark() != null ? e.getProblemMark().getLine() + 1 : 0;
            throw new TaskSetException(file, line, "not valid YAML: " + e.getProblem());
        } catch (RuntimeException e) {
            throw new TaskSetException(file, 0, "not valid YAML: " + e.getMessage());
        }
        if (root == null) {
            throw new TaskSetException(file, 0, "empty task set file (expected 'tasks:' with a list of tasks)");
        }
        MappingNode top = mapping(root, "the task set");
        checkKeys(top, TOP_KEYS, "the task set");
        Node tasksNode = value(top, "tasks");
        if (tasksNode == null) {
            throw error(top, "the task set is missing required key 'tasks' (a list of {name, wcet, period, deadline})");
        }
        if (!(tasksNode instanceof SequenceNode list)) {
            throw error(tasksNode, "tasks must be a list of {name, wcet, period, deadline}");
        }
        if (list.getValue().isEmpty()) {
            throw error(tasksNode, "tasks is empty (allowed: at least one task)");
        }
        List<Task> tasks = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (Node node : list.getValue()) {
            Task task = task(node);
            if (!names.add(task.name())) {
                throw error(value((MappingNode) node, "name"), "duplicate task name '" + task.name()
                        + "' (allowed: each name once)");
            }
            tasks.add(task);
        }
        Ratio u = Demand.utilisation(tasks);
        if (u.compareTo(Ratio.of(vcpus, 1)) > 0) {
            throw error(top.getValue().get(0).getKeyNode(), String.format(Locale.ROOT,
                    "total utilisation %.4f exceeds %d vCPU%s (allowed: at most the number of vCPUs)",
                    u.doubleValue(), vcpus, vcpus == 1 ? "" : "s"));
        }
        return tasks;
    }

    private Task task(Node node) throws TaskSetException {
        MappingNode m = mapping(node, "a task");
        checkKeys(m, TASK_KEYS, "a task");
        Node nameNode = required(m, "name");
        String name = scalar(nameNode, "name");
        if (!name.matches("[A-Za-z0-9_.-]+")) {
            throw error(nameNode, "task name '" + name + "' is not allowed (allowed: letters, digits, '_', '.', '-')");
        }
        Node wcetNode = required(m, "wcet");
        long wcet = millis(wcetNode, "wcet");
        Node periodNode = required(m, "period");
        long period = millis(periodNode, "period");
        Node deadlineNode = value(m, "deadline");
        long deadline = deadlineNode == null ? period : millis(deadlineNode, "deadline");
        if (deadline > period) {
            throw error(deadlineNode, "deadline " + Time.formatMillis(deadline) + " ms exceeds period "
                    + Time.formatMillis(period) + " ms (allowed: deadline <= period)");
        }
        if (wcet > deadline) {
            throw error(wcetNode, "wcet " + Time.formatMillis(wcet) + " ms exceeds " + (deadlineNode == null ? "period" : "deadline")
                    + " " + Time.formatMillis(deadline) + " ms (allowed: wcet <= deadline <= period)");
        }
        return new Task(name, wcet, period, deadline);
    }

    private long millis(Node node, String key) throws TaskSetException {
        String text = scalar(node, key);
        long nanos;
        try {
            nanos = Time.parseMillis(text);
        } catch (NumberFormatException | ArithmeticException e) {
            throw error(node, key + " '" + text + "' is not a time (allowed: milliseconds > 0, at most "
                    + Time.formatMillis(Time.MAX_NANOS) + ", in steps of 0.000001)");
        }
        if (nanos <= 0) {
            throw error(node, key + " " + text + " ms is not positive (allowed: milliseconds > 0)");
        }
        return nanos;
    }

    private String scalar(Node node, String key) throws TaskSetException {
        if (!(node instanceof ScalarNode s)) {
            throw error(node, key + " must be a single value, not a list or mapping");
        }
        return s.getValue().trim();
    }

    private MappingNode mapping(Node node, String what) throws TaskSetException {
        if (!(node instanceof MappingNode m)) {
            throw error(node, what + " must be a mapping of keys to values");
        }
        return m;
    }

    private static Node value(MappingNode m, String key) {
        for (NodeTuple t : m.getValue()) {
            if (t.getKeyNode() instanceof ScalarNode k && k.getValue().equals(key)) {
                return t.getValueNode();
            }
        }
        return null;
    }

    private Node required(MappingNode m, String key) throws TaskSetException {
        Node n = value(m, key);
        if (n == null) {
            throw error(m, "a task is missing required key '" + key + "' (required: name, wcet, period; optional: deadline)");
        }
        return n;
    }

    /** Composing does not reject duplicate keys (only constructing does), so this does. */
    private void checkKeys(MappingNode m, Set<String> allowed, String what) throws TaskSetException {
        Set<String> seen = new HashSet<>();
        for (NodeTuple t : m.getValue()) {
            String key = t.getKeyNode() instanceof ScalarNode k ? k.getValue() : "?";
            if (!allowed.contains(key)) {
                throw error(t.getKeyNode(), "unknown key '" + key + "' in " + what + " (allowed: "
                        + String.join(", ", allowed) + ")");
            }
            if (!seen.add(key)) {
                throw error(t.getKeyNode(), "duplicate key '" + key + "' in " + what + " (allowed: each key once)");
            }
        }
    }

    private TaskSetException error(Node node, String reason) {
        return new TaskSetException(file, node.getStartMark().getLine() + 1, reason);
    }
}
