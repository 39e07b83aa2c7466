package dev.baton.gateway.protocol;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.engine.common.JsonText;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.logs.LogLevel;
import dev.baton.engine.run.MetadataOperation;
import dev.baton.engine.run.RunEntity;
import dev.baton.engine.run.RunService;
import dev.baton.engine.run.TriggerOptions;
import dev.baton.engine.run.TriggerRequest;
import dev.baton.engine.run.Wait;
import dev.baton.engine.task.QueueLimits;
import dev.baton.engine.task.RateLimit;
import dev.baton.engine.task.RetryPolicy;
import dev.baton.engine.task.TaskCatalog;
import dev.baton.engine.task.TaskDefinition;
import dev.baton.engine.worker.RunError;
import dev.baton.engine.worker.StepResult;
import dev.baton.engine.worker.WorkerChannel;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The one place where worker-protocol JSON is read and written, and where wire shapes are
 * translated to and from engine types. Plain JSON with one {@link ObjectMapper}; unknown fields are
 * ignored, as the protocol requires.
 */
public final class WorkerProtocol {

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            // {"type":"completed","type":"failed"} says two things; which one wins is up to each reader, so none does.
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private static final ObjectWriter GATEWAY_WRITER = MAPPER.writerFor(GatewayMessage.class);

    private WorkerProtocol() {}

    /**
     * A hello that passed validation, translated for the engine.
     *
     * @param version the hello's version, or the hash of its declarations when it named none
     */
    public record AcceptedHello(String workerId, String sdk, int slots, List<TaskDefinition> tasks, String version) {
        public Set<String> taskIds() {
            Set<String> ids = new LinkedHashSet<>();
            for (TaskDefinition task : tasks) ids.add(task.taskId());
            return Set.copyOf(ids);
        }

        /**
         * The limits of every queue the tasks run in, for the dispatcher. When several tasks share a
         * queue, the last declaration in the hello wins.
         */
        public Map<String, QueueLimits> queueLimits() {
            Map<String, QueueLimits> queues = new LinkedHashMap<>();
            for (TaskDefinition task : tasks) queues.put(task.queue(), task.queueLimits());
            return Map.copyOf(queues);
        }
    }

    /**
     * A {@code metadata} message the engine will not get: its operations are invalid (answered {@code
     * metadataRejected}).
     */
    public static final class InvalidMetadataException extends Exception {
        public InvalidMetadataException(String message) {
            super(message);
        }
    }

    /** A {@code suspend} the engine will not get: its key or wait is invalid (answered {@code suspendRejected}). */
    public static final class InvalidWaitException extends Exception {
        public InvalidWaitException(String message) {
            super(message);
        }
    }

    /** The most operations one {@code metadata} message may carry. */
    public static final int MAX_METADATA_OPERATIONS = 100;

    /** The longest key of a step or wait. */
    public static final int MAX_KEY_LENGTH = 256;

    /** The most lines one {@code logs} message may carry. */
    public static final int MAX_LOG_LINES = 1000;

    /** The most runs one {@code suspend} may wait for. */
    public static final int MAX_WAIT_RUNS = RunEntity.MAX_CHILDREN;

    /**
     * A child run's options are read by the HTTP API's rules, with Trigger.dev's limits: the gateway has no
     * {@code baton.http} settings.
     */
    private static final TriggerOptions CHILD_OPTIONS =
            new TriggerOptions(TriggerOptions.Limits.DEFAULTS, Clock.systemUTC());

    /** Options a child ignores: its derived id already makes it idempotent, and no key is ever claimed for it. */
    private static final List<String> IGNORED_CHILD_OPTIONS = List.of("idempotencyKey", "idempotencyKeyTTL");

    // ---------------------------------------------------------------- reading

    /**
     * Reads one worker message; anything but a JSON object with a known {@code type} is a protocol error, and so is
     * JSON that {@link JsonText} refuses (nested too deep to write back, or holding unpaired surrogates).
     */
    public static WorkerMessage decode(String text) throws ProtocolException {
        JsonNode json;
        try {
            JsonText.check(text);
            json = MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new ProtocolException("malformed JSON: " + e.getOriginalMessage());
        }
        if (json == null || !json.isObject()) throw new ProtocolException("a message must be a JSON object");
        JsonNode type = json.get("type");
        if (type == null || !type.isTextual()) throw new ProtocolException("a message needs a string \"type\"");
        if (type.asText().equals("logs")) return logs(json.get("lines"));
        Class<? extends WorkerMessage> shape = switch (type.asText()) {
            case "hello" -> WorkerMessage.Hello.class;
            case "started" -> WorkerMessage.Started.class;
            case "heartbeat" -> WorkerMessage.Heartbeat.class;
            case "completed" -> WorkerMessage.Completed.class;
            case "failed" -> WorkerMessage.Failed.class;
            case "metadata" -> WorkerMessage.Metadata.class;
            case "step" -> WorkerMessage.Step.class;
            case "suspend" -> WorkerMessage.Suspend.class;
            default -> throw new ProtocolException("unknown message type \"" + type.asText() + "\"");
        };
        WorkerMessage message;
        try {
            message = MAPPER.treeToValue(json, shape);
        } catch (JsonProcessingException e) {
            throw new ProtocolException("invalid " + type.asText() + " message: " + e.getOriginalMessage());
        }
        if (message instanceof WorkerMessage.AboutAttempt about
                && (about.attemptId() == null || about.attemptId().isBlank()))
            throw new ProtocolException(type.asText() + " needs an \"attemptId\"");
        if (message instanceof WorkerMessage.Timed timed && timed.runningForMs() != null && timed.runningForMs() < 0)
            throw new ProtocolException(type.asText() + "'s \"runningForMs\" must be at least 0");
        if (message instanceof WorkerMessage.Step step && invalidKey(step.key()) != null)
            throw new ProtocolException("step " + invalidKey(step.key()));
        return message;
    }

    /**
     * A {@code logs} message: {@code lines} is an array of 1 to {@link #MAX_LOG_LINES} objects {@code {attemptId,
     * timestamp, level, message, attributes?, error?}}; anything else is a protocol error, as for every other
     * malformed message.
     */
    private static WorkerMessage.Logs logs(JsonNode lines) throws ProtocolException {
        if (lines == null || !lines.isArray() || lines.isEmpty())
            throw new ProtocolException("logs needs a non-empty \"lines\" array");
        if (lines.size() > MAX_LOG_LINES)
            throw new ProtocolException("logs may carry at most " + MAX_LOG_LINES + " lines");
        List<WorkerMessage.LogEntry> entries = new ArrayList<>(lines.size());
        for (int i = 0; i < lines.size(); i++) {
            try {
                entries.add(logEntry(lines.get(i)));
            } catch (IllegalArgumentException e) {
                throw new ProtocolException("logs line " + i + ": " + e.getMessage());
            }
        }
        return new WorkerMessage.Logs(List.copyOf(entries));
    }

    private static WorkerMessage.LogEntry logEntry(JsonNode line) {
        if (line == null || !line.isObject()) throw new IllegalArgumentException("must be an object");
        JsonNode attemptId = line.get("attemptId");
        if (attemptId == null || !attemptId.isTextual() || attemptId.asText().isBlank())
            throw new IllegalArgumentException("needs an \"attemptId\"");
        JsonNode timestamp = line.get("timestamp");
        Instant at;
        try {
            if (timestamp == null || !timestamp.isTextual()) throw new DateTimeParseException("", "", 0);
            at = OffsetDateTime.parse(timestamp.asText()).toInstant();
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("\"timestamp\" must be an ISO-8601 timestamp with an offset");
        }
        JsonNode level = line.get("level");
        LogLevel parsed = level == null || !level.isTextual()
                ? null
                : LogLevel.fromWire(level.asText()).orElse(null);
        if (parsed == null)
            throw new IllegalArgumentException("\"level\" must be one of trace, debug, info, warn, error");
        JsonNode message = line.get("message");
        if (message == null || !message.isTextual()) throw new IllegalArgumentException("needs a string \"message\"");
        JsonNode attributes = line.get("attributes");
        if (attributes != null && !attributes.isNull() && !attributes.isObject())
            throw new IllegalArgumentException("\"attributes\" must be an object");
        JsonNode error = line.get("error");
        if (error != null && !error.isNull()) {
            if (!error.isObject()) throw new IllegalArgumentException("\"error\" must be an object");
            for (String field : List.of("name", "message", "stackTrace")) {
                JsonNode value = error.get(field);
                if (value != null && !value.isNull() && !value.isTextual())
                    throw new IllegalArgumentException("\"error." + field + "\" must be a string");
            }
        }
        return new WorkerMessage.LogEntry(
                attemptId.asText(),
                at,
                parsed,
                message.asText(),
                attributes == null || attributes.isNull() || attributes.isEmpty() ? null : write(attributes),
                error == null || error.isNull() ? null : write(error));
    }

    /** Why a step or wait key is unusable, or null when it is fine. */
    private static String invalidKey(String key) {
        if (key == null || key.isBlank()) return "needs a \"key\"";
        if (key.length() > MAX_KEY_LENGTH) return "\"key\" must be at most " + MAX_KEY_LENGTH + " characters";
        return null;
    }

    /** Validates a hello and turns its task declarations into engine definitions, applying the defaults. */
    public static AcceptedHello acceptHello(WorkerMessage.Hello hello, int maxSlots) throws ProtocolException {
        if (hello.workerId() == null || hello.workerId().isBlank())
            throw new ProtocolException("hello needs a \"workerId\"");
        if (hello.slots() == null || hello.slots() < 1 || hello.slots() > maxSlots)
            throw new ProtocolException("hello \"slots\" must be between 1 and " + maxSlots);
        if (hello.tasks() == null || hello.tasks().isEmpty())
            throw new ProtocolException("hello must declare at least one task");
        List<TaskDefinition> definitions = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (WorkerMessage.TaskDeclaration declaration : hello.tasks()) {
            if (declaration == null) throw new ProtocolException("a task declaration must be an object");
            if (!seen.add(String.valueOf(declaration.id())))
                throw new ProtocolException("task \"" + declaration.id() + "\" is declared twice");
            definitions.add(taskDefinition(declaration));
        }
        if (hello.version() != null
                && !TaskCatalog.VERSION_PATTERN.matcher(hello.version()).matches()) {
            throw new ProtocolException("hello \"version\" must be up to 128 letters, digits and . _ : + -, starting"
                    + " with a letter or digit");
        }
        List<TaskDefinition> tasks = List.copyOf(definitions);
        String version = hello.version() != null ? hello.version() : TaskCatalog.contentVersion(tasks);
        return new AcceptedHello(hello.workerId(), hello.sdk(), hello.slots(), tasks, version);
    }

    private static TaskDefinition taskDefinition(WorkerMessage.TaskDeclaration declaration) throws ProtocolException {
        try {
            WorkerMessage.QueueDeclaration queue = declaration.queue();
            // TaskDefinition defaults a missing queue name to task/<id> and validates the rest.
            return new TaskDefinition(
                    declaration.id(),
                    queue == null ? null : queue.name(),
                    queue == null ? null : queue.concurrencyLimit(),
                    retryPolicy(declaration.retry()),
                    declaration.maxDurationSeconds(),
                    queue == null ? null : queue.globalConcurrencyLimit(),
                    queue == null ? null : rateLimit(queue.rateLimit()));
        } catch (IllegalArgumentException e) {
            throw new ProtocolException("task \"" + declaration.id() + "\": " + e.getMessage());
        }
    }

    /** Null for none; a declaration missing its limit or period is refused, naming the field. */
    private static RateLimit rateLimit(WorkerMessage.RateLimitDeclaration declaration) {
        if (declaration == null) return null;
        if (declaration.limit() == null) throw new IllegalArgumentException("rateLimit.limit is required");
        if (declaration.period() == null) throw new IllegalArgumentException("rateLimit.period is required");
        return RateLimit.of(declaration.limit(), declaration.period());
    }

    private static RetryPolicy retryPolicy(WorkerMessage.RetryDeclaration retry) {
        RetryPolicy d = RetryPolicy.DEFAULT;
        if (retry == null) return d;
        return new RetryPolicy(
                retry.maxAttempts() == null ? d.maxAttempts() : retry.maxAttempts(),
                retry.factor() == null ? d.factor() : retry.factor(),
                retry.minTimeoutInMs() == null ? d.minTimeoutInMs() : retry.minTimeoutInMs(),
                retry.maxTimeoutInMs() == null ? d.maxTimeoutInMs() : retry.maxTimeoutInMs(),
                retry.randomize() == null ? d.randomize() : retry.randomize());
    }

    /** The output as the engine stores it: JSON text, with an absent output stored as {@code "null"}. */
    public static String outputJson(WorkerMessage.Completed completed) {
        return completed.output() == null ? "null" : write(completed.output());
    }

    public static RunError runError(WorkerMessage.Failed failed) {
        WorkerMessage.ErrorBody error = failed.error();
        if (error == null) return new RunError(null, "the worker reported a failure without an error", null);
        return new RunError(error.name(), error.message() == null ? "" : error.message(), error.stackTrace());
    }

    public static boolean retryable(WorkerMessage.Failed failed) {
        return failed.retryable() == null || failed.retryable();
    }

    /**
     * The engine operations of a {@code metadata} message: {@code operations} must be a non-empty
     * array of {@code {type, key?, value?}} with a lowercase type of update, set, delete, append,
     * remove or increment; each is validated by {@link MetadataOperation}'s constructor.
     */
    public static List<MetadataOperation> metadataOperations(WorkerMessage.Metadata message)
            throws InvalidMetadataException {
        return metadataOperations(message.operations());
    }

    /** {@link #metadataOperations(WorkerMessage.Metadata)} of an {@code operations} array from elsewhere. */
    public static List<MetadataOperation> metadataOperations(JsonNode operations) throws InvalidMetadataException {
        if (operations == null || !operations.isArray() || operations.isEmpty())
            throw new InvalidMetadataException("\"operations\" must be a non-empty array");
        if (operations.size() > MAX_METADATA_OPERATIONS)
            throw new InvalidMetadataException("at most " + MAX_METADATA_OPERATIONS + " operations per message");
        List<MetadataOperation> result = new ArrayList<>();
        for (int i = 0; i < operations.size(); i++) {
            JsonNode operation = operations.get(i);
            try {
                result.add(metadataOperation(operation));
            } catch (IllegalArgumentException e) {
                throw new InvalidMetadataException("operation " + i + ": " + e.getMessage());
            }
        }
        return List.copyOf(result);
    }

    private static MetadataOperation metadataOperation(JsonNode operation) {
        if (operation == null || !operation.isObject()) throw new IllegalArgumentException("must be an object");
        JsonNode type = operation.get("type");
        if (type == null || !type.isTextual()) throw new IllegalArgumentException("needs a string \"type\"");
        MetadataOperation.Type parsed;
        try {
            // The protocol's names are lowercase, as the HTTP API's, which refuses "SET" too.
            if (!type.asText().equals(type.asText().toLowerCase(Locale.ROOT))) throw new IllegalArgumentException();
            parsed = MetadataOperation.Type.valueOf(type.asText().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown type \"" + type.asText() + "\"");
        }
        JsonNode key = operation.get("key");
        if (key != null && !key.isNull() && !key.isTextual())
            throw new IllegalArgumentException("\"key\" must be a string");
        JsonNode value = operation.get("value");
        String valueJson;
        try {
            valueJson = value == null ? null : MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a parsed JSON tree always serializes", e);
        }
        return new MetadataOperation(parsed, key == null || key.isNull() ? null : key.asText(), valueJson);
    }

    /** A step's result as the engine memoizes it: its output as JSON text, an absent output as {@code "null"}. */
    public static StepResult stepResult(WorkerMessage.Step step) {
        return StepResult.success(write(step.output() == null ? MAPPER.nullNode() : step.output()));
    }

    /** A suspension's key as text; null when it is not a usable key (the suspension is then rejected). */
    public static String suspendKey(WorkerMessage.Suspend suspend) {
        JsonNode key = suspend.key();
        return key != null && key.isTextual() && invalidKey(key.asText()) == null ? key.asText() : null;
    }

    /**
     * The engine's wait for a {@code suspend} of an attempt of run {@code runId}. {@code wait} must be
     * {@code {type:"duration", until}}, {@code {type:"token", tokenId}} or {@code {type:"runs", batch, items}}
     * with 1 to {@link #MAX_WAIT_RUNS} items ({@code batch} false: exactly one); child runs are test runs
     * when their parent is.
     */
    public static Wait waitOf(WorkerMessage.Suspend suspend, String runId, boolean test) throws InvalidWaitException {
        JsonNode key = suspend.key();
        if (key == null || !key.isTextual()) throw new InvalidWaitException("suspend needs a string \"key\"");
        String invalid = invalidKey(key.asText());
        if (invalid != null) throw new InvalidWaitException("suspend " + invalid);
        JsonNode wait = suspend.waitSpec();
        if (wait == null || !wait.isObject()) throw new InvalidWaitException("\"wait\" must be an object");
        JsonNode type = wait.get("type");
        if (type == null || !type.isTextual()) throw new InvalidWaitException("\"wait\" needs a string \"type\"");
        return switch (type.asText()) {
            case "duration" -> Wait.duration(key.asText(), until(wait.get("until")));
            case "token" -> {
                JsonNode tokenId = wait.get("tokenId");
                if (tokenId == null || !tokenId.isTextual() || tokenId.asText().isBlank())
                    throw new InvalidWaitException("a token wait needs a string \"tokenId\"");
                yield Wait.token(key.asText(), tokenId.asText());
            }
            case "runs" -> runsWait(key.asText(), wait, runId, test);
            default -> throw new InvalidWaitException("unknown wait type \"" + type.asText() + "\"");
        };
    }

    private static Instant until(JsonNode until) throws InvalidWaitException {
        if (until == null || !until.isTextual())
            throw new InvalidWaitException("a duration wait needs \"until\", an ISO-8601 timestamp");
        try {
            return OffsetDateTime.parse(until.asText()).toInstant();
        } catch (DateTimeParseException e) {
            throw new InvalidWaitException("\"until\" is not an ISO-8601 timestamp: " + until.asText());
        }
    }

    private static Wait runsWait(String key, JsonNode wait, String runId, boolean test) throws InvalidWaitException {
        JsonNode batch = wait.get("batch");
        if (batch != null && !batch.isNull() && !batch.isBoolean())
            throw new InvalidWaitException("\"batch\" must be a boolean");
        boolean isBatch = batch != null && batch.asBoolean();
        JsonNode items = wait.get("items");
        if (items == null || !items.isArray() || items.isEmpty())
            throw new InvalidWaitException("a runs wait needs a non-empty \"items\" array");
        if (items.size() > MAX_WAIT_RUNS)
            throw new InvalidWaitException("at most " + MAX_WAIT_RUNS + " items per wait");
        if (!isBatch && items.size() != 1)
            throw new InvalidWaitException("a runs wait without \"batch\" waits for exactly one run");
        List<TriggerRequest> children = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            try {
                children.add(child(items.get(i), test));
            } catch (IllegalArgumentException | TriggerOptions.InvalidOptionException e) {
                throw new InvalidWaitException("item " + i + ": " + e.getMessage());
            }
        }
        return Wait.runs(key, children, isBatch ? RunService.batchIdOf(runId, key) : null);
    }

    /**
     * One child run of a runs wait. Its {@code options} follow an HTTP trigger's rules ({@link TriggerOptions}), but
     * for what only a child has: its payload is any JSON value kept as is, typed by the item's own
     * {@code payloadType}; it is a test run when its parent is; it takes no idempotency key (see
     * {@link #IGNORED_CHILD_OPTIONS}); and its {@code maxDuration} must be a whole number of seconds, as the
     * protocol has always required.
     */
    private static TriggerRequest child(JsonNode item, boolean test) {
        if (item == null || !item.isObject()) throw new IllegalArgumentException("must be an object");
        JsonNode task = item.get("task");
        if (task == null
                || !task.isTextual()
                || !TaskDefinition.ID_PATTERN.matcher(task.asText()).matches())
            throw new IllegalArgumentException("needs a valid \"task\" id");
        JsonNode payload = item.get("payload");
        String payloadJson = payload == null || payload.isNull() ? null : write(payload);
        String payloadType = optionalText(item, "payloadType");
        if (payloadType == null && payloadJson != null) payloadType = "application/json";
        JsonNode options = TriggerOptions.optionsObject(item.get("options"));
        if (options != null) {
            options = ((ObjectNode) options).deepCopy().remove(IGNORED_CHILD_OPTIONS);
            JsonNode maxDuration = TriggerOptions.present(options.get("maxDuration"));
            if (maxDuration != null
                    && (!maxDuration.isIntegralNumber()
                            || !maxDuration.canConvertToInt()
                            || maxDuration.intValue() < 1))
                throw new IllegalArgumentException("options.maxDuration must be an integer of at least 1");
        }
        TriggerRequest.Builder request = CHILD_OPTIONS.decode(
                options, TriggerRequest.builder(task.asText()).payload(payloadJson, payloadType));
        if (test) request.test(true);
        return request.build();
    }

    private static String optionalText(JsonNode object, String field) {
        JsonNode value = object.get(field);
        if (value == null || value.isNull()) return null;
        if (!value.isTextual() || value.asText().isBlank())
            throw new IllegalArgumentException("\"" + field + "\" must be a non-blank string");
        return value.asText();
    }

    private static String write(JsonNode json) {
        try {
            return MAPPER.writeValueAsString(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a parsed JSON tree always serializes", e);
        }
    }

    // ---------------------------------------------------------------- writing

    public static String encode(GatewayMessage message) {
        try {
            return GATEWAY_WRITER.writeValueAsString(message);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(
                    "cannot encode " + message.getClass().getSimpleName(), e);
        }
    }

    /** The {@code execute} for an engine dispatch, with the environment's variables. */
    public static GatewayMessage.Execute execute(
            WorkerChannel.Execute execute, Environment environment, Map<String, String> envVars) {
        var run = new GatewayMessage.RunContext(
                execute.runId(),
                execute.tags() == null ? List.of() : execute.tags(),
                execute.createdAt() == null ? null : execute.createdAt().toString(),
                execute.test(),
                execute.maxAttempts(),
                parseStored(execute.metadataJson()),
                execute.idempotencyKey(),
                execute.maxDurationSeconds());
        var context = new GatewayMessage.ExecutionContext(
                run,
                new GatewayMessage.AttemptContext(execute.attemptId(), execute.attemptNumber()),
                new GatewayMessage.TaskContext(execute.taskId()),
                new GatewayMessage.QueueContext(execute.queue()),
                new GatewayMessage.EnvironmentContext(environment.id(), environment.slug()));
        return new GatewayMessage.Execute(
                execute.runId(),
                execute.attemptId(),
                execute.attemptNumber(),
                execute.taskId(),
                parseStored(execute.payloadJson()),
                execute.payloadType(),
                context,
                steps(execute.steps()),
                envVars,
                execute.traceparent());
    }

    /** The memoized results as the worker gets them, by key; null (left out) when there are none. */
    private static Map<String, GatewayMessage.StepEntry> steps(Map<String, StepResult> steps) {
        if (steps.isEmpty()) return null;
        Map<String, GatewayMessage.StepEntry> entries = new LinkedHashMap<>();
        steps.forEach((key, result) -> entries.put(
                key,
                result.ok()
                        ? new GatewayMessage.StepEntry(outputOf(result.outputJson()), null)
                        : new GatewayMessage.StepEntry(
                                null,
                                new GatewayMessage.StepError(
                                        result.error().name(),
                                        result.error().message(),
                                        result.error().stackTrace()))));
        return entries;
    }

    /** A memoized output: always a JSON value, {@code null} included, so the entry keeps its {@code output} field. */
    private static JsonNode outputOf(String outputJson) {
        JsonNode parsed = parseStored(outputJson);
        return parsed == null ? MAPPER.nullNode() : parsed;
    }

    /** The run's metadata after an update, as the worker gets it in {@code metadataUpdated}: always an object. */
    public static JsonNode metadata(String metadataJson) {
        JsonNode parsed = parseStored(metadataJson);
        return parsed == null || parsed.isNull() ? MAPPER.createObjectNode() : parsed;
    }

    /** JSON text the engine stored (validated when it came in) as a tree to embed; null stays absent. */
    private static JsonNode parseStored(String json) {
        if (json == null || json.isBlank()) return null;
        try {
            return MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("the engine holds JSON text that does not parse", e);
        }
    }
}
