package io.isochron.scheduler.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StartProblemsTest {
    @TempDir
    Path dir;

    @Test
    void noFileNamedMeansNoProblems() {
        assertThat(StartProblems.read(null)).isEmpty();
        assertThat(StartProblems.read(" ")).isEmpty();
    }

    @Test
    void oneProblemPerNonBlankLine() throws Exception {
        Path f = Files.writeString(dir.resolve("p"), "state volume LABEL=isochron-state not found\n\n  \n"
                + "  the configuration in /x is not used  \nno newline at the end");
        assertThat(StartProblems.read(f.toString())).containsExactly("state volume LABEL=isochron-state not found",
                "the configuration in /x is not used", "no newline at the end");
    }

    @Test
    void aFloodIsCutToAReadableReasonThatSaysHowMuchIsLeftOut() throws Exception {
        Path f = Files.writeString(dir.resolve("p"), IntStream.range(0, 25).mapToObj(i -> "problem " + i + " "
                + "x".repeat(i == 0 ? 1000 : 1)).collect(Collectors.joining("\n")));
        var problems = StartProblems.read(f.toString());
        assertThat(problems).hasSize(StartProblems.MAX_LINES + 1);
        assertThat(problems.get(0)).hasSize(StartProblems.MAX_LINE_CHARS).endsWith("…");
        assertThat(problems.get(StartProblems.MAX_LINES)).isEqualTo("15 more start-up problem(s) in " + f);
    }

    @Test
    void bytesThatAreNotUtf8AndAnUnreadableFileAreProblemsThemselves() throws Exception {
        Path f = Files.write(dir.resolve("p"), new byte[] {'b', 'a', 'd', ' ', (byte) 0xff, (byte) 0xfe, '\n', 'o', 'k'});
        assertThat(StartProblems.read(f.toString())).containsExactly("bad \uFFFD\uFFFD", "ok");
        assertThat(StartProblems.read(dir.resolve("gone").toString())).singleElement().asString()
                .startsWith("the start-up problems in " + dir.resolve("gone") + " cannot be read: ")
                .contains("NoSuchFileException");
    }
}
