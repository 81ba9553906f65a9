package io.isochron.analysis.taskset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.isochron.analysis.Task;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TaskSetLoaderTest {
    @Test
    void readsMillisecondsExactlyAndDefaultsTheDeadline() throws Exception {
        List<Task> tasks = TaskSetLoader.parse("t.yaml", """
                tasks:
                  - {name: scan, wcet: 0.125, period: 1}
                  - name: pid
                    wcet: 0.3333
                    period: 10
                    deadline: 5
                """, 1);
        assertThat(tasks).containsExactly(new Task("scan", 125_000, 1_000_000, 1_000_000),
                new Task("pid", 333_300, 10_000_000, 5_000_000));
    }

    @Test
    void loadsAFileAndNamesItInErrors(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("set.yaml");
        Files.writeString(file, "tasks:\n  - {name: a, wcet: 2, period: 1}\n");
        assertThatThrownBy(() -> TaskSetLoader.load(file, 1)).isInstanceOf(TaskSetException.class)
                .hasMessage(file + ":2: wcet 2 ms exceeds period 1 ms (allowed: wcet <= deadline <= period)");
        assertThatThrownBy(() -> TaskSetLoader.load(dir.resolve("none.yaml"), 1))
                .hasMessageStartingWith(dir.resolve("none.yaml") + ": cannot read task set");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "tasks:\\n  - {name: a, period: 1} | 2 | a task is missing required key 'wcet' (required: name, wcet, period; optional: deadline)",
        "tasks:\\n  - {name: a, wcet: -1, period: 1} | 2 | wcet -1 ms is not positive (allowed: milliseconds > 0)",
        "tasks:\\n  - {name: a, wcet: 0, period: 1} | 2 | wcet 0 ms is not positive",
        "tasks:\\n  - name: a\\n    wcet: 1\\n    period: 4\\n    deadline: 0.5 | 3 | wcet 1 ms exceeds deadline 0.5 ms (allowed: wcet <= deadline <= period)",
        "tasks:\\n  - name: a\\n    wcet: 1\\n    period: 4\\n    deadline: 5 | 5 | deadline 5 ms exceeds period 4 ms (allowed: deadline <= period)",
        "tasks:\\n  - {name: a, wcet: 1, period: 4, prio: 3} | 2 | unknown key 'prio' in a task (allowed: deadline, name, period, wcet)",
        "tasks:\\n  - {name: a, wcet: 1, period: 4}\\n  - {name: a, wcet: 1, period: 4} | 3 | duplicate task name 'a' (allowed: each name once)",
        "tasks: [] | 1 | tasks is empty (allowed: at least one task)",
        "tasks:\\n  - {name: a, wcet: 3, period: 4}\\n  - {name: b, wcet: 1, period: 2} | 1 | total utilisation 1.2500 exceeds 1 vCPU (allowed: at most the number of vCPUs)",
        "tasks:\\n  - {name: a, wcet: 1ms, period: 4} | 2 | wcet '1ms' is not a time (allowed: milliseconds > 0, at most 1000000, in steps of 0.000001)",
        "tasks:\\n  - {name: a, wcet: 0.0000001, period: 4} | 2 | wcet '0.0000001' is not a time",
        "tasks:\\n  - {name: 'a b', wcet: 1, period: 4} | 2 | task name 'a b' is not allowed (allowed: letters, digits, '_', '.', '-')",
        "tasks:\\n  - {name: a, wcet: [1], period: 4} | 2 | wcet must be a single value, not a list or mapping",
        "task:\\n  - {name: a, wcet: 1, period: 4} | 1 | unknown key 'task' in the task set (allowed: tasks)",
        "tasks: {name: a} | 1 | tasks must be a list of {name, wcet, period, deadline}",
        "tasks:\\n  - [a, 1, 4] | 2 | a task must be a mapping of keys to values",
        "tasks:\\n  - {name: a, wcet: 1, period: 4\\n | 3 | not valid YAML",
        "tasks:\\n  - {name: a, name: b, wcet: 1, period: 4} | 2 | duplicate key 'name' in a task (allowed: each key once)",
        "tasks:\\n  - a\\n - b | 3 | not valid YAML",
    })
    void badInputNamesFileLineAndWhatIsAllowed(String yaml, int line, String reason) {
        String text = yaml.replace("\\n", "\n");
        assertThatThrownBy(() -> TaskSetLoader.parse("set.yaml", text, 1))
                .isInstanceOf(TaskSetException.class)
                .satisfies(e -> assertThat(((TaskSetException) e).line()).isEqualTo(line))
                .hasMessageStartingWith("set.yaml" + (line > 0 ? ":" + line : "") + ": " + reason);
    }

    @Test
    void utilisationUpToTheVcpuCountIsAccepted() throws Exception {
        String two = "tasks:\n  - {name: a, wcet: 3, period: 4}\n  - {name: b, wcet: 1, period: 2}\n";
        assertThat(TaskSetLoader.parse("set.yaml", two, 2)).hasSize(2);
        assertThatThrownBy(() -> TaskSetLoader.parse("set.yaml", "", 1)).hasMessage("set.yaml: empty task set file (expected 'tasks:' with a list of tasks)");
    }
}
