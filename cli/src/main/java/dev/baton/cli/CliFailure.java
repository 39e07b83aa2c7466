package dev.baton.cli;

/** A failure the CLI explains in one line ({@code baton: <message>}) and exits 1 for. */
class CliFailure extends RuntimeException {

    CliFailure(String message) {
        super(message);
    }

    CliFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
