package dev.baton.cli;

import picocli.CommandLine.Option;

/** The project and environment a command works in. */
final class EnvironmentOptions {

    @Option(
            names = "--project",
            paramLabel = "<ref>",
            description = "Project ref, e.g. proj_… or default (else BATON_PROJECT, the config file).")
    String project;

    @Option(
            names = "--env",
            paramLabel = "<env>",
            description = "Environment: dev, staging, prod, preview (else BATON_ENV, the config file).")
    String environment;
}
