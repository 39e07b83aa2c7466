package dev.baton.loadtest;

import dev.baton.node.NodeProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A PostgreSQL server of the test's own, so a scenario can stop and start it (an outage) without touching the
 * shared server other tests use: {@code initdb} into {@code dir/data} (trust auth, user {@code postgres}, the
 * server's default fsync settings), listening on a free port on 127.0.0.1 only, no Unix socket. As root the
 * binaries run as the {@code postgres} OS user (PostgreSQL refuses to run as root), which then owns {@code dir}.
 * {@link #close} stops the server and deletes its data; its log stays in {@code dir/postgres.log}.
 */
final class PrivatePostgres implements AutoCloseable {

    private static final boolean AS_ROOT = "root".equals(System.getProperty("user.name"));

    private final Path bin;
    private final Path data;
    private final Path log;
    private final int port;

    private PrivatePostgres(Path bin, Path dir, int port) {
        this.bin = bin;
        this.data = dir.resolve("data");
        this.log = dir.resolve("postgres.log");
        this.port = port;
    }

    /** Creates a cluster under {@code dir} (which must not hold one yet) and starts it. */
    static PrivatePostgres start(Path dir) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        if (AS_ROOT) run(List.of("chown", "postgres:postgres", dir.toString()));
        PrivatePostgres server = new PrivatePostgres(binaries(), dir, NodeProcess.freePort());
        try {
            server.postgres("initdb", "-D", server.data.toString(), "-U", "postgres", "-A", "trust", "-E", "UTF8");
            server.start();
            return server;
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    /** The newest server installed under /usr/lib/postgresql/VERSION/bin (Debian's layout), else the PATH's. */
    private static Path binaries() throws IOException {
        Path installed = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(installed)) {
            try (Stream<Path> versions = Files.list(installed)) {
                Path newest = versions.filter(version -> Files.isExecutable(version.resolve("bin/pg_ctl")))
                        .max(Comparator.comparingInt(version -> Integer.parseInt(
                                version.getFileName().toString().replaceAll("\\D", "0"))))
                        .orElse(null);
                if (newest != null) return newest.resolve("bin");
            }
        }
        return Path.of("");
    }

    String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    }

    /** Starts the server and returns once it accepts connections. */
    void start() throws IOException, InterruptedException {
        postgres(
                "pg_ctl",
                "start",
                "-w",
                "-t",
                "60",
                "-D",
                data.toString(),
                "-l",
                log.toString(),
                "-o",
                "-p " + port + " -c listen_addresses=127.0.0.1 -c unix_socket_directories=''");
    }

    /**
     * Stops the server the way an operator's restart does ({@code -m fast}): open connections are cut, open
     * transactions roll back, committed ones stay. Returns once it is down.
     */
    void stop() throws IOException, InterruptedException {
        postgres("pg_ctl", "stop", "-w", "-t", "60", "-m", "fast", "-D", data.toString());
    }

    private boolean running() throws IOException, InterruptedException {
        return Files.exists(data.resolve("postmaster.pid"))
                && exitCode(command("pg_ctl", "status", "-D", data.toString())) == 0;
    }

    private void postgres(String program, String... arguments) throws IOException, InterruptedException {
        List<String> command = command(program, arguments);
        int exit = exitCode(command);
        if (exit != 0) throw new IOException(String.join(" ", command) + " exited with " + exit + ", see " + log);
    }

    private List<String> command(String program, String... arguments) {
        List<String> command = new ArrayList<>();
        if (AS_ROOT) command.addAll(List.of("runuser", "-u", "postgres", "--"));
        command.add(bin.resolve(program).toString());
        command.addAll(List.of(arguments));
        return command;
    }

    /** Runs {@code command}, its output appended to the server's log (initdb and pg_ctl write little). */
    private int exitCode(List<String> command) throws IOException, InterruptedException {
        Files.writeString(
                log,
                "$ " + String.join(" ", command) + "\n",
                StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.APPEND);
        if (AS_ROOT) run(List.of("chown", "postgres:postgres", log.toString()));
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        if (!process.waitFor(90, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException(String.join(" ", command) + " did not finish within 90 s");
        }
        return process.exitValue();
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).inheritIO().start();
        if (process.waitFor() != 0) throw new IOException(String.join(" ", command) + " failed");
    }

    /** Stops the server if it runs ({@code -m immediate}: nothing of it is kept) and deletes its data. */
    @Override
    public void close() throws IOException, InterruptedException {
        if (running()) exitCode(command("pg_ctl", "stop", "-w", "-t", "60", "-m", "immediate", "-D", data.toString()));
        if (Files.exists(data)) {
            try (Stream<Path> files = Files.walk(data)) {
                for (Path file : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(file);
            }
        }
    }
}
