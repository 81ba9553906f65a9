package io.isochron.analysis;

/** The analysis cannot give an answer for this input; the message says why in one line. */
public final class AnalysisException extends RuntimeException {
    public AnalysisException(String message) {
        super(message);
    }
}
