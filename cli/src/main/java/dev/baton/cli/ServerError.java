package dev.baton.cli;

/** The node refused a request: its status and its {@code {"error": "..."}} message. */
final class ServerError extends CliFailure {

    private final int status;

    ServerError(int status, String error) {
        super(status + " " + error);
        this.status = status;
    }

    int status() {
        return status;
    }
}
