package dev.baton.examples;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.sdk.task.ChildItem;
import dev.baton.sdk.task.ChildResult;
import dev.baton.sdk.task.MetadataOperation;
import dev.baton.sdk.task.RetryPolicy;
import dev.baton.sdk.task.Task;
import dev.baton.sdk.task.TaskContext;
import dev.baton.sdk.task.TokenResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The example worker's tasks. Each is a factory method, so tests of other modules can register
 * the same tasks on workers of their own.
 */
public final class ExampleTasks {

    public static final String HELLO_WORLD = "hello-world";
    public static final String SLEEP = "sleep";
    public static final String FAIL = "fail";
    public static final String PROGRESS = "progress";
    public static final String WAIT = "wait";
    public static final String FAN_OUT = "fan-out";
    public static final String APPROVAL = "approval";

    /** Payload of {@code hello-world}. */
    public record HelloPayload(String name) {}

    /** Output of {@code hello-world}. */
    public record Greeting(String greeting) {}

    /** Payload of {@code sleep}. */
    public record SleepPayload(long ms) {}

    /** Output of {@code sleep}. */
    public record Slept(long sleptMs) {}

    /** Payload of {@code fail}. */
    public record FailPayload(String message) {}

    /** Payload of {@code progress}. */
    public record ProgressPayload(int steps, long stepMs) {}

    /** Output of {@code progress}. */
    public record Progressed(int steps) {}

    /** Payload of {@code wait}. */
    public record WaitPayload(long seconds) {}

    /** Output of {@code wait}. */
    public record Waited(long waitedSeconds) {}

    /** Payload of {@code fan-out}. */
    public record FanOutPayload(int count) {}

    /** Output of {@code fan-out}: one entry per child, in order. */
    public record Greetings(List<String> greetings) {}

    /** Payload of {@code approval}. */
    public record ApprovalPayload(String tokenId) {}

    private ExampleTasks() {}

    /**
     * {@code {name}} → {@code {greeting: "Hello, <name>!"}}: the smallest useful task. It logs one line, which
     * {@code GET /api/v1/runs/{id}/logs} and the dashboard's Run page show.
     */
    public static Task<HelloPayload, Greeting> helloWorld() {
        return Task.define(HELLO_WORLD, HelloPayload.class, (payload, ctx) -> {
                    String name = payload == null ? "world" : payload.name();
                    ctx.logger().info("greeting {}", name, Map.of("name", String.valueOf(name)));
                    return new Greeting("Hello, " + name + "!");
                })
                .build();
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
                })
                .queue("sleepy", 2)
                .build();
    }

    /**
     * {@code {message}} → always throws with that message. Two attempts, 100 ms apart (without
     * jitter), so a run reaches {@code FAILED} quickly: the task for observing retries.
     */
    public static Task<FailPayload, Void> fail() {
        return Task.<FailPayload, Void>define(FAIL, FailPayload.class, (payload, ctx) -> {
                    RuntimeException failure =
                            new RuntimeException(payload == null ? "failed on purpose" : payload.message());
                    ctx.logger().error("attempt {} fails on purpose", ctx.attemptNumber(), failure);
                    throw failure;
                })
                .retry(new RetryPolicy(2, 2, 100, 1000, false))
                .build();
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
                        ctx.updateMetadata(
                                MetadataOperation.set("$.progress.done", done),
                                MetadataOperation.set("$.progress.total", steps));
                    }
                    return new Progressed(steps);
                })
                .queue("reports", 1, 4)
                .maxDuration(Duration.ofMinutes(10))
                .build();
    }

    /**
     * {@code {seconds}} → waits that long → {@code {waitedSeconds}}: the task for observing durable
     * waits. From 5 seconds on (the worker's short-wait threshold) the run is suspended: it shows
     * {@code WAITING}, holds no worker slot meanwhile, and is executed again when the time is up,
     * on any worker, even after the node restarted.
     */
    public static Task<WaitPayload, Waited> waitTask() {
        return Task.define(WAIT, WaitPayload.class, (payload, ctx) -> {
                    long seconds = payload == null ? 0 : payload.seconds();
                    ctx.waitFor(Duration.ofSeconds(seconds));
                    return new Waited(seconds);
                })
                .build();
    }

    /**
     * {@code {count}} → one {@code hello-world} child per i in 1..count, with payload
     * {@code {name: "child-<i>"}}, triggered together and waited for → {@code {greetings}} in child
     * order (a failed child's entry is {@code "failed: <message>"}): the task for observing child
     * runs and batches. The parent is suspended while the children run; re-executing it never
     * triggers them again.
     */
    public static Task<FanOutPayload, Greetings> fanOut() {
        return Task.define(FAN_OUT, FanOutPayload.class, (payload, ctx) -> {
                    int count = payload == null ? 0 : payload.count();
                    if (count < 0 || count > TaskContext.MAX_BATCH_ITEMS) {
                        throw new IllegalArgumentException(
                                "count must be between 0 and " + TaskContext.MAX_BATCH_ITEMS);
                    }
                    List<ChildItem> children = new ArrayList<>();
                    for (int i = 1; i <= count; i++) {
                        children.add(ChildItem.of(HELLO_WORLD, new HelloPayload("child-" + i)));
                    }
                    List<String> greetings = new ArrayList<>();
                    for (ChildResult child : ctx.batchTriggerAndWait(children)) {
                        greetings.add(
                                child.ok()
                                        ? child.outputAs(Greeting.class).greeting()
                                        : "failed: " + child.error().message());
                    }
                    return new Greetings(greetings);
                })
                .build();
    }

    /**
     * {@code {tokenId}} → waits until the waitpoint token is completed → the data it was completed
     * with: the task for observing waitpoint tokens (a human approval, a webhook). The run is
     * suspended meanwhile. A token that times out fails the run, without retry: waiting again
     * would time out again.
     */
    public static Task<ApprovalPayload, JsonNode> approval() {
        return Task.define(APPROVAL, ApprovalPayload.class, (payload, ctx) -> {
                    if (payload == null || payload.tokenId() == null) {
                        throw new IllegalArgumentException("approval needs a tokenId");
                    }
                    TokenResult token = ctx.waitForToken(payload.tokenId());
                    if (!token.ok()) {
                        throw new IllegalStateException("token " + payload.tokenId() + " was not completed: "
                                + token.error().name() + ": " + token.error().message());
                    }
                    return token.data();
                })
                .retry(RetryPolicy.attempts(1))
                .build();
    }

    /** All of them, as the example worker registers them. */
    public static List<Task<?, ?>> all() {
        return List.of(helloWorld(), sleep(), fail(), progress(), waitTask(), fanOut(), approval());
    }
}
