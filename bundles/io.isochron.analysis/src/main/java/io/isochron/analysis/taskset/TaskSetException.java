package io.isochron.analysis.taskset;

/** A task-set file is invalid; the message is one line: {@code file:line: reason}. */
public final class TaskSetException extends Exception {
    private final int line;

    public TaskSetException(String file, int line, String reason) {
        super(file + (line > 0 ? ":" + line : "") + ": " + reason);
        this.line = line;
    }

    /** 1-based line, or 0 when the problem is not tied to a line. */
    public int line() {
        return line;
    }
}
