package dev.baton.examples;

import dev.baton.sdk.task.RetryPolicy;
import dev.baton.sdk.task.Task;

import java.util.List;

/**
 * The example worker's tasks. Each is a factory method, so tests of other modules can register
 * the same tasks on workers of their own.
 */
public final class ExampleTasks {

    public static final String HELLO_WORLD = "hello-world";
    public static final String SLEEP = "sleep";
    public static final String FAIL = "fail";

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

    /** All three, as the example worker registers them. */
    public static List<Task<?, ?>> all() {
        return List.of(helloWorld(), sleep(), fail());
    }
}
