package dev.baton.cli;

import picocli.CommandLine.Option;

/** The options every command that talks to a node takes. */
final class ConnectionOptions {

    @Option(
            names = "--url",
            paramLabel = "<url>",
            description = "The node's base URL (else BATON_URL, the config file, http://127.0.0.1:8080).")
    String url;

    @Option(
            names = "--token",
            paramLabel = "<tr_pat_…>",
            description = "Personal access token (else BATON_TOKEN, the config file, ./baton-data's admin-token).")
    String token;

    @Option(names = "--json", description = "Print the node's JSON answer instead of a table.")
    boolean json;
}
