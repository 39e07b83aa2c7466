package dev.baton.sdk.worker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.baton.sdk.internal.PayloadDecodingException;
import dev.baton.sdk.internal.Payloads;
import dev.baton.sdk.internal.Suspension;
import dev.baton.sdk.internal.WorkerMessages.Completed;
import dev.baton.sdk.internal.WorkerMessages.ErrorBody;
import dev.baton.sdk.internal.WorkerMessages.Execute;
import dev.baton.sdk.internal.WorkerMessages.Failed;
import dev.baton.sdk.internal.WorkerMessages.Outbound;
import dev.baton.sdk.internal.WorkerMessages.Welcome;
import dev.baton.sdk.internal.json.Json;
import dev.baton.sdk.task.AttemptLink;
import dev.baton.sdk.task.NonDeterminismException;
import dev.baton.sdk.task.Task;
import dev.baton.sdk.task.TaskContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs one attempt on a handler thread: decode the payload, run the handler ({@code started} is
 * reported if it runs for a while, see {@link Session#begin}), report {@code completed} or {@code failed}. An attempt
 * that is over meanwhile (canceled,
 * fenced, suspended) reports nothing: {@link Session#finish} drops its result. A handler ended by a
 * {@link Suspension} reports nothing either: the gateway freed the slot when it suspended the run.
 */
final class AttemptRunner<P, R> implements Runnable {

    private final Task<P, R> task;
    private final Execute execute;
    private final TaskContext context;
    private final Session session;
    private final RunningAttempt attempt;

    private AttemptRunner(
            Task<P, R> task, Execute execute, TaskContext context, Session session, RunningAttempt attempt) {
        this.task = task;
        this.execute = execute;
        this.context = context;
        this.session = session;
        this.attempt = attempt;
    }

    static <P, R> AttemptRunner<P, R> of(
            Task<P, R> task, Execute execute, Welcome welcome, Session session, RunningAttempt attempt) {
        return new AttemptRunner<>(task, execute, contextOf(execute, welcome, attempt), session, attempt);
    }

    /** The run's metadata when the attempt was sent ({@code context.run.metadata}); missing when none. */
    static JsonNode initialMetadata(Execute execute) {
        return execute.context() == null
                ? MissingNode.getInstance()
                : execute.context().path("run").path("metadata");
    }

    @Override
    public void run() {
        String attemptId = execute.attemptId();
        P payload;
        try {
            payload = Payloads.decode(execute.payload(), task.payloadType());
        } catch (PayloadDecodingException e) {
            // the same payload would fail every attempt: end the run now
            finish(new Failed(attemptId, ErrorBody.of(e), false, null));
            return;
        }
        if (!session.begin(attempt)) {
            return; // fenced or canceled while queued
        }

        R result;
        try {
            result = task.handler().run(payload, context);
        } catch (Throwable e) { // task code's errors (even an AssertionError) fail the attempt, not the worker
            if (attempt.isSuspended()) {
                return; // ended by its Suspension, or it failed after that: either way the attempt is over
            }
            // code and journal disagree: the same code fails the same way, so retrying is pointless
            finish(new Failed(
                    attemptId, ErrorBody.of(e), !(e instanceof NonDeterminismException), attempt.runningForMs()));
            return;
        }

        JsonNode output;
        try {
            output = Json.mapper().valueToTree(result);
        } catch (IllegalArgumentException e) {
            IllegalArgumentException unserializable = new IllegalArgumentException(
                    "output of task " + task.id() + " cannot be written as JSON: " + e.getMessage(), e);
            finish(new Failed(attemptId, ErrorBody.of(unserializable), false, attempt.runningForMs()));
            return;
        }
        finish(new Completed(attemptId, output, attempt.runningForMs()));
    }

    /** Reports the attempt's outcome after its log lines, which the gateway then stores before the run moves on. */
    private void finish(Outbound result) {
        session.flushLogs();
        session.finish(attempt, result);
    }

    /** Flattens the protocol's execution context into what handlers see. */
    static TaskContext contextOf(Execute execute, Welcome welcome, AttemptLink link) {
        JsonNode context = execute.context() == null ? MissingNode.getInstance() : execute.context();
        JsonNode run = context.path("run");
        List<String> tags = new ArrayList<>();
        run.path("tags").forEach(tag -> tags.add(tag.asText()));
        String environmentId =
                context.path("environment").path("id").asText(welcome == null ? null : welcome.environmentId());
        String queueName = context.path("queue").path("name").asText("task/" + execute.taskId());
        JsonNode maxDuration = run.path("maxDuration");
        return new TaskContext(
                execute.runId(),
                execute.attemptId(),
                execute.attemptNumber(),
                execute.taskId(),
                tags,
                environmentId,
                queueName,
                run.path("isTest").asBoolean(false),
                maxDuration.isNumber() && maxDuration.asLong() > 0 ? Duration.ofSeconds(maxDuration.asLong()) : null,
                envOf(execute.envVars()),
                link);
    }

    /** The execution's environment variables; anything but a string value (never sent by Baton) is skipped. */
    static Map<String, String> envOf(JsonNode envVars) {
        if (envVars == null || !envVars.isObject()) return Map.of();
        Map<String, String> env = new HashMap<>();
        envVars.fields().forEachRemaining(field -> {
            if (field.getValue().isTextual())
                env.put(field.getKey(), field.getValue().textValue());
        });
        return env;
    }
}
