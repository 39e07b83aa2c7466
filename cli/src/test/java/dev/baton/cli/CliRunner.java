package dev.baton.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** Runs the CLI in this JVM with its own environment variables and directories, and captures what it prints. */
final class CliRunner {

    record Result(int exitCode, String out, String err) {}

    private final Map<String, String> env = new HashMap<>();
    private final Path workingDir;
    private final Path homeDir;

    CliRunner(Path workingDir, Path homeDir) {
        this.workingDir = workingDir;
        this.homeDir = homeDir;
    }

    CliRunner env(String name, String value) {
        env.put(name, value);
        return this;
    }

    Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Invocation invocation =
                new Invocation(Map.copyOf(env), workingDir, homeDir, new PrintWriter(out), new PrintWriter(err));
        int exitCode = BatonCli.run(invocation, args);
        return new Result(exitCode, out.toString(), err.toString());
    }

    Invocation invocation() {
        return new Invocation(
                Map.copyOf(env),
                workingDir,
                homeDir,
                new PrintWriter(new StringWriter()),
                new PrintWriter(new StringWriter()));
    }
}
