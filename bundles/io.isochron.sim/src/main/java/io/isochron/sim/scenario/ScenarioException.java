package io.isochron.sim.scenario;

/** A scenario file is invalid; the message is one line: {@code file:line: reason}. */
public final class ScenarioException extends Exception {
    private final String file;
    private final int line;
    private final String reason;

    public ScenarioException(String file, int line, String reason) {
        super(file + (line > 0 ? ":" + line : "") + ": " + reason);
        this.file = file;
        this.line = line;
        this.reason = reason;
    }

    public String file() {
        return file;
    }

    /** 1-based line, or 0 when the problem is not tied to a line. */
    public int line() {
        return line;
    }

    public String reason() {
        return reason;
    }
}
