package dev.baton.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code baton}: the command line for people and scripts, over the HTTP API with a personal access token.
 * docs/cli.md describes the commands, where the URL and token come from, and the exit codes.
 */
@Command(
        name = "baton",
        description = "Manage Baton projects, keys and tokens, and trigger, follow and inspect runs.",
        synopsisSubcommandLabel = "<command>",
        subcommands = {
            AccountCommands.WhoAmI.class,
            AccountCommands.Orgs.class,
            ProjectCommands.Projects.class,
            ProjectCommands.Environments.class,
            KeyCommands.class,
            AccountCommands.Tokens.class,
            RunCommands.class,
            TailCommand.class
        },
        footer = {
            "",
            "Exit codes: 0 done; 2 a usage error; 1 anything else: the node refused or",
            "could not be reached, or (tail) the run did not complete. See docs/cli.md."
        })
public final class BatonCli {

    @Mixin
    HelpOption help;

    private final Invocation invocation;
    private final CliDefaults defaults;

    BatonCli(Invocation invocation) {
        this.invocation = invocation;
        this.defaults = CliDefaults.load(invocation.env());
    }

    public static void main(String[] args) {
        PrintWriter out = writer(System.out);
        PrintWriter err = writer(System.err);
        Invocation invocation = new Invocation(
                System.getenv(), Path.of("").toAbsolutePath(), Path.of(System.getProperty("user.home")), out, err);
        System.exit(run(invocation, args));
    }

    /** Runs one command line; its exit code. */
    static int run(Invocation invocation, String... args) {
        CommandLine commandLine;
        try {
            commandLine = new CommandLine(new BatonCli(invocation));
        } catch (RuntimeException e) {
            invocation.err().println("baton: " + e.getMessage());
            invocation.err().flush();
            return 1;
        }
        commandLine
                .setOut(invocation.out())
                .setErr(invocation.err())
                .setExecutionExceptionHandler((exception, failed, parseResult) -> {
                    if (!(exception instanceof CliFailure)) throw exception;
                    failed.getErr().println("baton: " + exception.getMessage());
                    failed.getErr().flush();
                    return 1;
                });
        int exitCode = commandLine.execute(args);
        invocation.out().flush();
        invocation.err().flush();
        return exitCode;
    }

    Invocation invocation() {
        return invocation;
    }

    CliDefaults defaults() {
        return defaults;
    }

    private static PrintWriter writer(PrintStream stream) {
        return new PrintWriter(new java.io.OutputStreamWriter(stream, StandardCharsets.UTF_8), true);
    }
}
