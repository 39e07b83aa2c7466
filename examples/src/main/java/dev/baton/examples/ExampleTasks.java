package dev.baton.examples;

import dev.baton.sdk.task.MetadataOperation;
import dev.baton.sdk.task.RetryPolicy;
import dev.baton.sdk.task.Task;
import dev.baton.sdk.task.TaskContext;

import java.time.Duration;
import java.util.List;

/**
 * The example worker's tasks. Each is a factory method, so tests of other modules can register
 * the same tasks on workers of their own.
 */
public final class ExampleTasks {

    public static final String HELLO_WORLD = "hello-world";
    public static final String SLEEP = "sleep";
    public static final String FAIL = "fail";
    public static final String PROGRESS = "progress";

    /** Payload of {@code hello-world}. */
    public record HelloPayload(String name) {
    }

    /** Output of {@code hello-world}. */
    public record Greeting(String greeting) {
    }

    /** Payload of {@code sleep}. */
    public record SleepPayload(long ms) {
    }

    /** Output of {@code sleep}. */
    public record Slept(long sleptMs) {
    }

    /** Payload of {@code fail}. */
    public record FailPayload(String message) {
    }

    /** Payload of {@code progress}. */
    public record ProgressPayload(int steps, long stepMs) {
    }

    /** Output of {@code progress}. */
    public record Progressed(int steps) {
    }

    private ExampleTasks() {
    }

    /** {@code {name}} → {@code {greeting: "Hello, <name>!"}}: the smallest useful task. */
    public static Task<HelloPayload, Greeting> helloWorld() {
        return Task.define(HELLO_WORLD, HelloPayload.class,
                (payload, ctx) -> new Greeting("Hello, " + (payload == null ? "world" : payload.name()) + "!")).build();
    }

    /**
     * {@code {ms}} → sleeps that long → {@code {sleptMs}}. Runs on queue {@code sleepy}, of which at
     * most 2 execute at once across all workers: the task for observing queueing and concurrency.
     * {@link Thread#sleep} answers interrupts, so a fenced or killed attempt stops at once.
     */
    public static Task<SleepPayload, Slept> sleep() {
        return Task.define(SLEEP, SleepPayload.class, (payload, ctx) -> {
            long ms = payload == null ? 0 : payload.ms();
            Thread.sleep(ms);
            return new Slept(ms);
        }).queue("sleepy", 2).build();
    }

    /**
     * {@code {message}} → always throws with that message. Two attempts, 100 ms apart (without
     * jitter), so a run reaches {@code FAILED} quickly: the task for observing retries.
     */
    public static Task<FailPayload, Void> fail() {
        return Task.<FailPayload, Void>define(FAIL, FailPayload.class, (payload, ctx) -> {
            throw new RuntimeException(payload == null ? "failed on purpose" : payload.message());
        }).retry(new RetryPolicy(2, 2, 100, 1000, false)).build();
    }

    /**
     * {@code {steps, stepMs}} → works through the steps, reporting {@code progress: {done, total}}
     * in the run's metadata after each → {@code {steps}}: the task for observing metadata and
     * cancellation. Its queue {@code reports} runs one run per concurrency key (say, per user) and
     * four across all keys. Canceling the run (or its maxDuration of 10 minutes passing) interrupts
     * the sleep; {@link TaskContext#throwIfCancelled()} covers work that does not block.
     */
    public static Task<ProgressPayload, Progressed> progress() {
        return Task.define(PROGRESS, ProgressPayload.class, (payload, ctx) -> {
            int steps = payload == null ? 3 : payload.steps();
            long stepMs = payload == null ? 100 : payload.stepMs();
            for (int done = 1; done <= steps; done++) {
                ctx.throwIfCancelled();
                Thread.sleep(stepMs);
                ctx.updateMetadata(MetadataOperation.set("$.progress.done", done),
                        MetadataOperation.set("$.progress.total", steps));
            }
            return new Progressed(steps);
        }).queue("reports", 1, 4).maxDuration(Duration.ofMinutes(10)).build();
    }

    /** All four, as the example worker registers them. */
    public static List<Task<?, ?>> all() {
        return List.of(helloWorld(), sleep(), fail(), progress());
    }
}
