package dev.baton.gateway.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import dev.baton.engine.dispatch.QueueLimits;
import dev.baton.engine.dispatch.WorkerChannel;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.run.MetadataOperation;
import dev.baton.engine.run.RetryPolicy;
import dev.baton.engine.run.RunError;
import dev.baton.engine.task.TaskDefinition;
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
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
  private static final ObjectWriter GATEWAY_WRITER = MAPPER.writerFor(GatewayMessage.class);

  private WorkerProtocol() {}

  /** A hello that passed validation, translated for the engine. */
  public record AcceptedHello(String workerId, String sdk, int slots, List<TaskDefinition> tasks) {
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

  /** A {@code metadata} message the engine will not get: its operations are invalid (answered {@code metadataRejected}). */
  public static final class InvalidMetadataException extends Exception {
    public InvalidMetadataException(String message) {
      super(message);
    }
  }

  /** The most operations one {@code metadata} message may carry. */
  public static final int MAX_METADATA_OPERATIONS = 100;

  // ---------------------------------------------------------------- reading

  /** Reads one worker message; anything but a JSON object with a known {@code type} is a protocol error. */
  public static WorkerMessage decode(String text) throws ProtocolException {
    JsonNode json;
    try {
      json = MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      throw new ProtocolException("malformed JSON: " + e.getOriginalMessage());
    }
    if (json == null || !json.isObject()) throw new ProtocolException("a message must be a JSON object");
    JsonNode type = json.get("type");
    if (type == null || !type.isTextual()) throw new ProtocolException("a message needs a string \"type\"");
    Class<? extends WorkerMessage> shape = switch (type.asText()) {
      case "hello" -> WorkerMessage.Hello.class;
      case "started" -> WorkerMessage.Started.class;
      case "heartbeat" -> WorkerMessage.Heartbeat.class;
      case "completed" -> WorkerMessage.Completed.class;
      case "failed" -> WorkerMessage.Failed.class;
      case "metadata" -> WorkerMessage.Metadata.class;
      default -> throw new ProtocolException("unknown message type \"" + type.asText() + "\"");
    };
    WorkerMessage message;
    try {
      message = MAPPER.treeToValue(json, shape);
    } catch (JsonProcessingException e) {
      throw new ProtocolException("invalid " + type.asText() + " message: " + e.getOriginalMessage());
    }
    if (message instanceof WorkerMessage.AboutAttempt about && (about.attemptId() == null || about.attemptId().isBlank()))
      throw new ProtocolException(type.asText() + " needs an \"attemptId\"");
    return message;
  }

  /** Validates a hello and turns its task declarations into engine definitions, applying the defaults. */
  public static AcceptedHello acceptHello(WorkerMessage.Hello hello, int maxSlots) throws ProtocolException {
    if (hello.workerId() == null || hello.workerId().isBlank()) throw new ProtocolException("hello needs a \"workerId\"");
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
    return new AcceptedHello(hello.workerId(), hello.sdk(), hello.slots(), List.copyOf(definitions));
  }

  private static TaskDefinition taskDefinition(WorkerMessage.TaskDeclaration declaration) throws ProtocolException {
    try {
      WorkerMessage.QueueDeclaration queue = declaration.queue();
      // TaskDefinition defaults a missing queue name to task/<id> and validates the rest.
      return new TaskDefinition(declaration.id(), queue == null ? null : queue.name(),
          queue == null ? null : queue.concurrencyLimit(), retryPolicy(declaration.retry()),
          declaration.maxDurationSeconds(), queue == null ? null : queue.globalConcurrencyLimit());
    } catch (IllegalArgumentException e) {
      throw new ProtocolException("task \"" + declaration.id() + "\": " + e.getMessage());
    }
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
    try {
      return completed.output() == null ? "null" : MAPPER.writeValueAsString(completed.output());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a parsed JSON tree always serializes", e);
    }
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
    JsonNode operations = message.operations();
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
      parsed = MetadataOperation.Type.valueOf(type.asText().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown type \"" + type.asText() + "\"");
    }
    JsonNode key = operation.get("key");
    if (key != null && !key.isNull() && !key.isTextual()) throw new IllegalArgumentException("\"key\" must be a string");
    JsonNode value = operation.get("value");
    String valueJson;
    try {
      valueJson = value == null ? null : MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a parsed JSON tree always serializes", e);
    }
    return new MetadataOperation(parsed, key == null || key.isNull() ? null : key.asText(), valueJson);
  }

  // ---------------------------------------------------------------- writing

  public static String encode(GatewayMessage message) {
    try {
      return GATEWAY_WRITER.writeValueAsString(message);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode " + message.getClass().getSimpleName(), e);
    }
  }

  /** The {@code execute} for an engine dispatch. */
  public static GatewayMessage.Execute execute(WorkerChannel.Execute execute, Environment environment) {
    var run = new GatewayMessage.RunContext(execute.runId(), execute.tags() == null ? List.of() : execute.tags(),
        execute.createdAt() == null ? null : execute.createdAt().toString(), execute.test(), execute.maxAttempts(),
        parseStored(execute.metadataJson()), execute.idempotencyKey(), execute.maxDurationSeconds());
    var context = new GatewayMessage.ExecutionContext(run,
        new GatewayMessage.AttemptContext(execute.attemptId(), execute.attemptNumber()),
        new GatewayMessage.TaskContext(execute.taskId()),
        new GatewayMessage.QueueContext(execute.queue()),
        new GatewayMessage.EnvironmentContext(environment.id(), environment.slug()));
    return new GatewayMessage.Execute(execute.runId(), execute.attemptId(), execute.attemptNumber(),
        execute.taskId(), parseStored(execute.payloadJson()), execute.payloadType(), context);
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
