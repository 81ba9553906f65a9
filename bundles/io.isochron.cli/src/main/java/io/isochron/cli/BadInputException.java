package io.isochron.cli;

/** Input the user can fix; reported as one line with exit code 2. */
final class BadInputException extends RuntimeException {
    BadInputException(String message) {
        super(message);
    }
}
