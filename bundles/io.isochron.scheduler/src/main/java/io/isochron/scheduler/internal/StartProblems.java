package io.isochron.scheduler.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What the host's start-up found wrong before the framework started — a missing state volume, a box
 * configuration that failed its check and was replaced by the fallback — as the launcher hands it
 * over (framework property {@value #PROPERTY}: a file, one problem per line). Read once per start:
 * these do not change while the appliance runs, and Health reports them until the next start.
 */
final class StartProblems {
    static final String PROPERTY = "isochron.startProblems";
    /** Health's reason stays one readable line however much the host wrote. */
    static final int MAX_LINES = 10;
    static final int MAX_LINE_CHARS = 300;

    private StartProblems() {}

    /** The problems in {@code file}, at most {@value #MAX_LINES}; none when {@code file} is null or blank. */
    static List<String> read(String file) {
        if (file == null || file.isBlank()) {
            return List.of();
        }
        List<String> lines = new ArrayList<>();
        int more = 0;
        // Whatever bytes the host wrote become text: a broken byte must not hide the rest.
        var decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE);
        try (BufferedReader in = new BufferedReader(new InputStreamReader(Files.newInputStream(Path.of(file)), decoder))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                String problem = line.strip();
                if (problem.isEmpty()) {
                    continue;
                }
                if (lines.size() == MAX_LINES) {
                    more++;
                } else {
                    lines.add(problem.length() <= MAX_LINE_CHARS ? problem
                            : problem.substring(0, MAX_LINE_CHARS - 1) + "…");
                }
            }
        } catch (IOException | RuntimeException e) {
            lines.add("the start-up problems in " + file + " cannot be read: " + e);
            return List.copyOf(lines);
        }
        if (more > 0) {
            lines.add(more + " more start-up problem(s) in " + file);
        }
        return List.copyOf(lines);
    }
}
