package dev.baton.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;

/**
 * What one run of the CLI sees of the world: environment variables, the working and home directories, and where
 * it prints. {@link BatonCli#main} takes the process's; tests pass their own.
 */
record Invocation(Map<String, String> env, Path workingDir, Path homeDir, PrintWriter out, PrintWriter err) {

    String env(String name) {
        String value = env.get(name);
        return value == null || value.isBlank() ? null : value;
    }

    /** A path as the user typed it: relative to the working directory, {@code ~/} to the home directory. */
    Path path(String text) {
        if (text.equals("~")) return homeDir;
        if (text.startsWith("~/")) return homeDir.resolve(text.substring(2));
        return workingDir.resolve(text);
    }
}
