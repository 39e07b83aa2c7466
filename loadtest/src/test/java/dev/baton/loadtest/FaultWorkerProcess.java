package dev.baton.loadtest;

import dev.baton.sdk.task.TaskContext;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A fault worker in its own JVM, so a test can kill it with SIGKILL or freeze it with SIGSTOP: it serves
 * {@link FaultTasks}' tasks and appends {@code runId attemptNumber attemptId} to its starts file at every handler
 * start, unbuffered (each line is written to the file before the handler goes on, so a killed worker's starts
 * are all there). The starts file is created once the worker is connected, so its existence means ready. Its
 * output (the SDK's warnings, e.g. about fenced attempts) goes to a log file next to it.
 */
final class FaultWorkerProcess implements AutoCloseable {

    /** One handler start, as the worker process noted it. */
    record Start(String runId, int attemptNumber, String attemptId) {}

    private final Process process;
    private final String workerId;
    private final Path starts;
    private final Path log;

    private FaultWorkerProcess(Process process, String workerId, Path starts, Path log) {
        this.process = process;
        this.workerId = workerId;
        this.starts = starts;
        this.log = log;
    }

    /** Starts a worker process under {@code workerId} with {@code slots}; waits until it is connected. */
    static FaultWorkerProcess start(URI url, String workerToken, String workerId, int slots, Path dir)
            throws IOException, InterruptedException {
        Path starts = dir.resolve(workerId + ".starts");
        Path log = dir.resolve(workerId + ".log");
        Files.deleteIfExists(starts);
        List<String> command = List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m",
                "-XX:+UseSerialGC",
                "-cp",
                System.getProperty("java.class.path"),
                FaultWorkerProcess.class.getName(),
                "--url",
                url.toString(),
                "--worker-token",
                workerToken,
                "--worker-id",
                workerId,
                "--slots",
                String.valueOf(slots),
                "--starts",
                starts.toString());
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        FaultWorkerProcess worker = new FaultWorkerProcess(process, workerId, starts, log);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!Files.exists(starts)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                process.destroyForcibly();
                throw new IllegalStateException("worker " + workerId + " did not connect; see " + log);
            }
            Thread.sleep(50);
        }
        return worker;
    }

    String workerId() {
        return workerId;
    }

    long pid() {
        return process.pid();
    }

    Path log() {
        return log;
    }

    /** SIGKILL: the worker's socket is closed by the kernel, its handlers end mid-execution. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    /** SIGSTOP: a zombie; its socket stays open but it sends nothing, heartbeats included. */
    void freeze() throws IOException, InterruptedException {
        signal("-STOP");
    }

    /** SIGCONT: the zombie goes on where it stopped. */
    void thaw() throws IOException, InterruptedException {
        signal("-CONT");
    }

    private void signal(String signal) throws IOException, InterruptedException {
        int exit = new ProcessBuilder("kill", signal, String.valueOf(process.pid()))
                .inheritIO()
                .start()
                .waitFor();
        if (exit != 0) throw new IllegalStateException("kill " + signal + " " + process.pid() + " exited with " + exit);
    }

    /** The handler starts so far (a line still being written is left for the next read). */
    List<Start> starts() throws IOException {
        String text = Files.readString(starts);
        List<Start> parsed = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length - 1; i++) { // the last piece follows the last newline
            String[] fields = lines[i].split(" ");
            parsed.add(new Start(fields[0], Integer.parseInt(fields[1]), fields[2]));
        }
        return parsed;
    }

    /** Handler starts per run id, in the checker's shape, over several worker processes. */
    static Map<String, Integer> executions(FaultWorkerProcess... workers) throws IOException {
        Map<String, Integer> executions = new HashMap<>();
        for (FaultWorkerProcess worker : workers) {
            for (Start start : worker.starts()) executions.merge(start.runId(), 1, Integer::sum);
        }
        return executions;
    }

    List<String> logLines() throws IOException {
        return Files.readAllLines(log);
    }

    /** SIGKILL works on a frozen process too, and nothing about a test worker needs a graceful end. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) kill();
    }

    // ---------------------------------------------------------------- the worker process

    public static void main(String[] args) throws IOException {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) options.put(args[i], args[i + 1]);
        Path startsFile = Path.of(options.get("--starts"));
        Path writing = startsFile.resolveSibling(startsFile.getFileName() + ".tmp");
        OutputStream out = new FileOutputStream(writing.toFile(), true);
        // The worker's non-daemon threads keep this JVM alive until it is killed.
        FaultTasks.startWorker(
                URI.create(options.get("--url")),
                options.get("--worker-token"),
                options.get("--worker-id"),
                Integer.parseInt(options.get("--slots")),
                new NoopFleet.Recorder(),
                ctx -> appendStart(out, ctx));
        Files.move(writing, startsFile); // connected: the file appears under its name, starts already in it stay
    }

    /** One write call per line, straight to the file descriptor: nothing is buffered in this JVM. */
    private static void appendStart(OutputStream out, TaskContext ctx) {
        byte[] line = (ctx.runId() + " " + ctx.attemptNumber() + " " + ctx.attemptId() + "\n")
                .getBytes(StandardCharsets.UTF_8);
        synchronized (out) {
            try {
                out.write(line);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot note a handler start", e);
            }
        }
    }
}
