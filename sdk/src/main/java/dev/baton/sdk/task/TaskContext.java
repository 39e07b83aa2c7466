package dev.baton.sdk.task;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.baton.sdk.internal.json.Json;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.UnaryOperator;

/**
 * What a handler knows about the attempt it is running, and what it can do about its run while
 * it runs: make its progress durable (steps, waits, child runs, waitpoint tokens), read and update
 * the run's metadata, and find out whether it should stop.
 *
 * <p><b>Durable execution.</b> A run's handler may be executed several times: after a retry,
 * after its worker was lost, and every time the run resumes from a wait. What it did before
 * survives in the run's journal:
 * <ul>
 *   <li>{@link #step} runs its body once: the first successful result is recorded on the server
 *       (before {@code step} returns) and every later execution of the run gets that result back
 *       (decoded from JSON) without running the body again. A body that throws records nothing.</li>
 *   <li>{@link #waitFor}/{@link #waitUntil} shorter than the worker's short-wait threshold (5 s by
 *       default) sleep in the worker. Longer ones <em>suspend</em> the run: the handler ends at once
 *       (its thread is freed; nothing is reported), the run waits on the server holding no worker
 *       slot and no concurrency slot, and when the time has come the handler is executed again from
 *       the top: its steps return their recorded results and the wait returns at once.</li>
 *   <li>{@link #triggerAndWait}, {@link #batchTriggerAndWait} and {@link #waitForToken} suspend the
 *       run the same way until the child runs have finished or the token was completed (or timed
 *       out), and then return their outcome. A re-executed parent never triggers its children again.</li>
 * </ul>
 * A suspension ends the handler by throwing an internal {@link Error}: a {@code catch (Exception e)}
 * lets it through, and task code must not catch {@code Throwable} or {@code Error} around these calls.
 *
 * <p><b>Determinism.</b> Recorded results are found by key, so the handler must make its durable
 * calls in the same order on every execution of the run: decide what to do from the payload and
 * from the results of earlier durable calls, not from the clock, random numbers or outside state
 * read outside a step (read them inside a step). A step's key is its name; a name used again in
 * one execution gets an index ({@code charge}, {@code charge#2}, …). Waits, child runs and tokens
 * are numbered per kind in call order ({@code wait#1}, {@code runs#1}, {@code token#1}; every
 * {@code waitFor}/{@code waitUntil} takes a number, short or not). Step names may not contain
 * {@code #} nor be {@code wait}, {@code runs} or {@code token}. When a recorded result does not fit
 * the call that finds it (the code changed between executions) the call throws
 * {@link NonDeterminismException}, which fails the run without retry. Durable calls may not be
 * made inside a step's body. Calls from several threads are allowed as long as their order does
 * not matter (distinct step names).
 *
 * <p><b>Cancellation.</b> When the server cancels the run (or it exceeds its maxDuration), fences
 * the attempt, or the worker loses its connection, the handler's thread is interrupted and
 * {@link #isCancelled()} becomes true. Blocking calls then throw {@link InterruptedException};
 * code that does not block can poll {@link #isCancelled()} or call {@link #throwIfCancelled()}.
 * Whatever the handler returns afterwards is dropped.
 *
 * <p><b>Metadata.</b> {@link #metadata()} starts as the run's metadata when the attempt was sent
 * and follows every update. Each {@code metadata…} method sends one message to the server and
 * blocks until it answers (at most the worker's metadata timeout, 10 s by default), then returns
 * the run's whole metadata afterwards. It throws {@link MetadataUpdateException} when the update
 * was refused (invalid, or the metadata would exceed the server's limit, 256 KB by default) or
 * not answered in time, and {@link TaskCancelledException} when the attempt is over.
 *
 * <p>Tests can build a context with the public constructor to call a handler directly; such a
 * context is never cancelled, applies metadata updates in memory, runs steps inline (recording
 * nothing), sleeps for every wait, and refuses child runs and tokens.
 */
public final class TaskContext {

    /** The most child runs one {@link #batchTriggerAndWait} may start. */
    public static final int MAX_BATCH_ITEMS = 1000;
    /** The longest step name. */
    public static final int MAX_STEP_NAME_LENGTH = DurableKeys.MAX_STEP_NAME_LENGTH;

    /** True on a thread running a step's body: durable calls may not nest. */
    private static final ThreadLocal<Boolean> IN_STEP = ThreadLocal.withInitial(() -> false);

    private final String runId;
    private final String attemptId;
    private final int attemptNumber;
    private final String taskId;
    private final List<String> tags;
    private final String environmentId;
    private final String queueName;
    private final boolean isTest;
    private final Duration maxDuration;
    private final Map<String, String> env;
    private final AttemptLink link;
    private final TaskLogger logger;
    /** The keys of this execution's durable calls. */
    private final DurableKeys keys = new DurableKeys();

    /**
     * A context attached to nothing, for calling a handler directly (tests): never cancelled,
     * metadata updates are applied in memory.
     *
     * @param metadata the run's metadata, or null for none
     */
    public TaskContext(
            String runId,
            String attemptId,
            int attemptNumber,
            String taskId,
            List<String> tags,
            JsonNode metadata,
            String environmentId,
            String queueName) {
        this(
                runId,
                attemptId,
                attemptNumber,
                taskId,
                tags,
                environmentId,
                queueName,
                false,
                null,
                AttemptLink.detached(metadata));
    }

    /** Like the worker's constructor, with no environment variables (tests with a fake link). */
    public TaskContext(
            String runId,
            String attemptId,
            int attemptNumber,
            String taskId,
            List<String> tags,
            String environmentId,
            String queueName,
            boolean isTest,
            Duration maxDuration,
            AttemptLink link) {
        this(
                runId,
                attemptId,
                attemptNumber,
                taskId,
                tags,
                environmentId,
                queueName,
                isTest,
                maxDuration,
                Map.of(),
                link);
    }

    /**
     * The worker's constructor (and tests' for a fake link); task code does not need {@link AttemptLink}.
     *
     * @param env the environment's variables sent with the attempt; null for none
     */
    public TaskContext(
            String runId,
            String attemptId,
            int attemptNumber,
            String taskId,
            List<String> tags,
            String environmentId,
            String queueName,
            boolean isTest,
            Duration maxDuration,
            Map<String, String> env,
            AttemptLink link) {
        this.env = env == null ? Map.of() : Map.copyOf(env);
        this.runId = Objects.requireNonNull(runId, "runId");
        this.attemptId = Objects.requireNonNull(attemptId, "attemptId");
        this.attemptNumber = attemptNumber;
        this.taskId = Objects.requireNonNull(taskId, "taskId");
        this.tags = tags == null ? List.of() : List.copyOf(tags);
        this.environmentId = environmentId;
        this.queueName = queueName;
        this.isTest = isTest;
        this.maxDuration = maxDuration;
        this.link = Objects.requireNonNull(link, "link");
        this.logger = new TaskLogger(link, Map.of());
    }

    /**
     * The W3C {@code traceparent} of this attempt's span in the run's trace (docs/api.md "Traces"): give it to an
     * OpenTelemetry tracer as the parent of the handler's own spans (and report them to the node's
     * {@code /otel/v1/traces} with {@code ctx.run.id}) so they show under this attempt. Null when the node sent none.
     */
    public String traceparent() {
        return link.traceparent();
    }

    /** The run this attempt belongs to ({@code run_…}). */
    public String runId() {
        return runId;
    }

    /** This attempt ({@code att_…}); a retry gets a new one. */
    public String attemptId() {
        return attemptId;
    }

    /** 1 for the first attempt, 2 for the first retry, … */
    public int attemptNumber() {
        return attemptNumber;
    }

    public String taskId() {
        return taskId;
    }

    /** The run's tags when the attempt was sent, possibly empty. */
    public List<String> tags() {
        return tags;
    }

    /** The environment the run was triggered in. */
    public String environmentId() {
        return environmentId;
    }

    /** The queue the run waited in. */
    public String queueName() {
        return queueName;
    }

    /** Whether the run was triggered as a test run. */
    public boolean isTest() {
        return isTest;
    }

    /**
     * How long this attempt may execute before the server times the run out ({@code TIMED_OUT})
     * and cancels the attempt; empty means no limit. The server enforces it, not the worker.
     */
    public Optional<Duration> maxDuration() {
        return Optional.ofNullable(maxDuration);
    }

    /**
     * The environment's variables (set through the envvars API) as they were when the server sent this attempt,
     * by name; unmodifiable, empty when there are none. Secret variables are here in plain text: they are
     * redacted only in the API. A new value reaches attempts sent a few seconds after the change.
     */
    public Map<String, String> env() {
        return env;
    }

    /** One environment variable (see {@link #env()}); empty when the environment has no such variable. */
    public Optional<String> env(String name) {
        return Optional.ofNullable(env.get(name));
    }

    /**
     * The run's log: lines logged here are stored with the run and this attempt ({@link TaskLogger} has the API,
     * SLF4J-like). A context built for a test writes them to SLF4J.
     */
    public TaskLogger logger() {
        return logger;
    }

    // ---- cancellation ----

    /** True once the attempt is over for this worker (see the class comment); the handler should stop. */
    public boolean isCancelled() {
        return link.cancelReason() != null;
    }

    /** Why the attempt is over, e.g. {@code run canceled} or {@code maxDuration exceeded}; empty while it runs. */
    public Optional<String> cancelReason() {
        return Optional.ofNullable(link.cancelReason());
    }

    /** @throws TaskCancelledException when {@link #isCancelled()} */
    public void throwIfCancelled() {
        String reason = link.cancelReason();
        if (reason != null) {
            throw new TaskCancelledException(reason);
        }
    }

    // ---- durable execution ----

    /**
     * Runs {@code body} once per run: the first time, runs it, records its result (written as JSON)
     * on the server and returns it; on every later execution of the run, returns the recorded result
     * decoded into {@code type} without running {@code body}. Exceptions from {@code body}
     * propagate and record nothing, so the body runs again on the next execution.
     *
     * @param name the step's name, unique in the handler (see the class comment for keys)
     * @throws NonDeterminismException when the run recorded something under this step's key that is not a step's result
     * @throws DurableCallException when the server did not confirm the record in time
     * @throws TaskCancelledException when the attempt is over
     */
    public <T> T step(String name, Class<T> type, Callable<T> body) throws Exception {
        Objects.requireNonNull(type, "type");
        return step(name, Json.mapper().constructType(type), body);
    }

    /** Like {@link #step(String, Class, Callable)}, for generic results such as {@code List<String>}. */
    public <T> T step(String name, TypeReference<T> type, Callable<T> body) throws Exception {
        Objects.requireNonNull(type, "type");
        return step(name, Json.mapper().constructType(type), body);
    }

    private <T> T step(String name, JavaType type, Callable<T> body) throws Exception {
        Objects.requireNonNull(body, "body");
        requireOutsideStep("step");
        throwIfCancelled();
        String key = keys.step(name);
        Memoized memo = link.memoized().get(key);
        if (memo != null) {
            if (!memo.ok()) {
                throw new NonDeterminismException(
                        key,
                        "the run recorded an error there (" + memo.error().name() + "), which a step never records");
            }
            try {
                return Json.decode(memo.output(), type, "the recorded result");
            } catch (IllegalArgumentException e) {
                throw new NonDeterminismException(key, e.getMessage());
            }
        }
        T value;
        IN_STEP.set(true);
        try {
            value = body.call();
        } finally {
            IN_STEP.remove();
        }
        JsonNode output;
        try {
            output = Json.mapper().valueToTree(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "the result of step '" + key + "' cannot be written as JSON: " + e.getMessage(), e);
        }
        link.recordStep(key, output);
        return value;
    }

    /**
     * Waits for {@code duration}: sleeps in the worker when it is shorter than the worker's
     * short-wait threshold, else suspends the run until then (see the class comment). The end is
     * computed once, on the execution that suspends; later executions return at once.
     *
     * @throws TaskCancelledException when the attempt is over (also while sleeping)
     * @throws DurableCallException when the server refused or did not confirm the suspension
     */
    public void waitFor(Duration duration) {
        Objects.requireNonNull(duration, "duration");
        if (duration.isNegative()) {
            throw new IllegalArgumentException("duration must not be negative, was " + duration);
        }
        await(now -> now.plus(duration));
    }

    /** Waits until {@code until}, like {@link #waitFor(Duration)}; a time in the past does not wait. */
    public void waitUntil(Instant until) {
        Objects.requireNonNull(until, "until");
        await(now -> until);
    }

    private void await(UnaryOperator<Instant> untilFrom) {
        requireOutsideStep("waitFor/waitUntil");
        throwIfCancelled();
        String key = keys.next(DurableKeys.WAIT);
        Memoized memo = link.memoized().get(key);
        if (memo != null) {
            memo.requireFinishedWait(key);
            return;
        }
        Instant now = Instant.now();
        Instant until = untilFrom.apply(now);
        Duration remaining = Duration.between(now, until);
        if (remaining.compareTo(link.shortWaitThreshold()) < 0) {
            sleep(remaining);
            return;
        }
        link.suspend(key, Waits.durationWait(until));
        throw new IllegalStateException("suspend returned normally");
    }

    private void sleep(Duration duration) {
        if (duration.isNegative() || duration.isZero()) {
            return;
        }
        try {
            Thread.sleep(duration.toMillis(), duration.toNanosPart() % 1_000_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            String reason = link.cancelReason();
            throw new TaskCancelledException(reason != null ? reason : "interrupted");
        }
    }

    /** Triggers a run of {@code taskId} with {@code payload} and default options, and waits until it ends. */
    public ChildResult triggerAndWait(String taskId, Object payload) {
        return triggerAndWait(taskId, payload, null);
    }

    /**
     * Triggers a child run of {@code taskId} with {@code payload} (any Jackson-writable value) and
     * {@code options} (null: defaults), suspends this run until the child has ended, and returns how
     * it ended. The child is triggered once per run, whatever the number of executions.
     *
     * @throws UnsupportedOperationException on a context built by a test
     * @throws NonDeterminismException when the run recorded something else under this call's key
     * @throws DurableCallException when the server refused or did not confirm the suspension
     * @throws TaskCancelledException when the attempt is over
     */
    public ChildResult triggerAndWait(String taskId, Object payload, ChildOptions options) {
        return awaitRuns("triggerAndWait", false, List.of(new ChildItem(taskId, payload, options)))
                .get(0);
    }

    /**
     * Triggers one child run per item (at most {@value #MAX_BATCH_ITEMS}) as one batch, suspends this
     * run until all of them have ended, and returns how each ended, in item order. The children are
     * triggered once per run, whatever the number of executions.
     *
     * @throws UnsupportedOperationException on a context built by a test
     * @throws NonDeterminismException when the run recorded something else under this call's key
     * @throws DurableCallException when the server refused or did not confirm the suspension
     * @throws TaskCancelledException when the attempt is over
     */
    public List<ChildResult> batchTriggerAndWait(List<ChildItem> items) {
        Objects.requireNonNull(items, "items");
        if (items.size() > MAX_BATCH_ITEMS) {
            throw new IllegalArgumentException("at most " + MAX_BATCH_ITEMS + " items per batch, got " + items.size());
        }
        for (ChildItem item : items) {
            Objects.requireNonNull(item, "item");
        }
        return awaitRuns("batchTriggerAndWait", true, List.copyOf(items));
    }

    private List<ChildResult> awaitRuns(String call, boolean batch, List<ChildItem> items) {
        requireSuspendable(call);
        requireOutsideStep(call);
        throwIfCancelled();
        String key = keys.next(DurableKeys.RUNS);
        Memoized memo = link.memoized().get(key);
        if (memo != null) {
            return memo.childResults(key, items.size());
        }
        if (items.isEmpty()) {
            return List.of();
        }
        link.suspend(key, Waits.runsWait(batch, items));
        throw new IllegalStateException("suspend returned normally");
    }

    /**
     * Suspends this run until the waitpoint token {@code tokenId} is completed (over HTTP or its
     * callback URL) or times out, and returns its outcome: the data it was completed with, or an
     * error ({@link TokenResult#isTimeout()}). The token may have been created before the run or
     * inside it (in a step, so that re-executions do not create another).
     *
     * @throws UnsupportedOperationException on a context built by a test
     * @throws DurableCallException when the server refused or did not confirm the suspension
     * @throws TaskCancelledException when the attempt is over
     */
    public TokenResult waitForToken(String tokenId) {
        if (tokenId == null || tokenId.isBlank()) {
            throw new IllegalArgumentException("tokenId must not be blank");
        }
        requireSuspendable("waitForToken");
        requireOutsideStep("waitForToken");
        throwIfCancelled();
        String key = keys.next(DurableKeys.TOKEN);
        Memoized memo = link.memoized().get(key);
        if (memo != null) {
            return memo.ok()
                    ? new TokenResult(tokenId, memo.output(), null)
                    : new TokenResult(tokenId, null, memo.error());
        }
        link.suspend(key, Waits.tokenWait(tokenId));
        throw new IllegalStateException("suspend returned normally");
    }

    private static void requireOutsideStep(String call) {
        if (IN_STEP.get()) {
            throw new IllegalStateException(call + " cannot be called inside a step's body");
        }
    }

    private void requireSuspendable(String call) {
        if (!link.canSuspend()) {
            throw new UnsupportedOperationException(call + " needs a Baton worker: this TaskContext was built by "
                    + "a test and is attached to no run, so it cannot start child runs or wait for tokens");
        }
    }

    // ---- metadata ----

    /** The run's current metadata: an object, or a {@link MissingNode} when the run has none. */
    public JsonNode metadata() {
        return link.metadata();
    }

    /** Applies the operations together, in one message; returns the run's metadata afterwards. */
    public JsonNode updateMetadata(MetadataOperation... operations) {
        return updateMetadata(Arrays.asList(operations));
    }

    /** Applies the operations together, in one message; returns the run's metadata afterwards. */
    public JsonNode updateMetadata(List<MetadataOperation> operations) {
        if (operations == null || operations.isEmpty()) {
            throw new IllegalArgumentException("no metadata operations");
        }
        throwIfCancelled();
        return link.updateMetadata(List.copyOf(operations));
    }

    /** Sets {@code key} (a field, or a path {@code $.a.b}) to {@code value} (any Jackson-writable value). */
    public JsonNode metadataSet(String key, Object value) {
        return updateMetadata(MetadataOperation.set(key, value));
    }

    public JsonNode metadataDelete(String key) {
        return updateMetadata(MetadataOperation.delete(key));
    }

    /** Appends {@code value} to the array at {@code key}, creating it when missing. */
    public JsonNode metadataAppend(String key, Object value) {
        return updateMetadata(MetadataOperation.append(key, value));
    }

    /** Removes every element equal to {@code value} from the array at {@code key}. */
    public JsonNode metadataRemove(String key, Object value) {
        return updateMetadata(MetadataOperation.remove(key, value));
    }

    /** Adds {@code by} (negative to decrement) to the number at {@code key}; a missing one counts as 0. */
    public JsonNode metadataIncrement(String key, Number by) {
        return updateMetadata(MetadataOperation.increment(key, by));
    }

    /** Replaces the whole metadata with {@code metadata}, which must serialize to a JSON object. */
    public JsonNode metadataReplace(Object metadata) {
        return updateMetadata(MetadataOperation.replace(metadata));
    }

    @Override
    public String toString() {
        return "TaskContext[run " + runId + ", attempt " + attemptId + " (#" + attemptNumber + "), task " + taskId
                + ", queue " + queueName + ", environment " + environmentId + "]";
    }
}
