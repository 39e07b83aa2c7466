package dev.baton.api.runs;

import static dev.baton.engine.run.TriggerOptions.optionalString;
import static dev.baton.engine.run.TriggerOptions.present;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.api.config.HttpSettings;
import dev.baton.api.errors.ApiException;
import dev.baton.engine.run.Debounce;
import dev.baton.engine.run.TriggerOptions;
import dev.baton.engine.run.TriggerOptions.Fallback;
import dev.baton.engine.run.TriggerOptions.InvalidOptionException;
import dev.baton.engine.run.TriggerRequest;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Validates a trigger body {@code {payload?, context?, options?}} against Trigger.dev's rules. A JSON
 * {@code null} counts as absent everywhere. Wrong types are 400s naming the field; an unreadable
 * {@code delay}, {@code ttl} or {@code idempotencyKeyTTL} and more than 10 tags are 422, oversized
 * metadata 413, as in Trigger.dev.
 *
 * <p>Honoured options: {@code payloadType}, {@code tags}, {@code metadata}, {@code maxAttempts},
 * {@code idempotencyKey} (+ {@code idempotencyKeyTTL}), {@code test}, {@code queue}, {@code concurrencyKey},
 * {@code priority}, {@code delay}, {@code ttl}, {@code maxDuration} and {@code lockToVersion}, by the rules the worker protocol's child
 * runs share ({@link TriggerOptions}), and {@code debounce} (not combined with an idempotency key; without
 * {@code delay}, the first trigger's run waits {@code debounce.delay}, as in Trigger.dev). Raw HTTP callers may give
 * the idempotency key and its TTL as {@code idempotency-key} / {@code idempotency-key-ttl} headers; the body's values
 * win. Options naming what Baton does not have ({@link #UNSUPPORTED}: {@code machine}, {@code region}, named
 * {@code concurrency} limits) are refused with 400 naming the option: the SDK sends each only when the caller sets
 * it, and a caller who sets one expects it to take effect. {@code context}, what the SDK sends on every trigger
 * only to describe it ({@code payloadSize}, {@code idempotencyKeyOptions}, {@code externalDeploymentId}, which it
 * may fill from CI variables) and unknown fields are accepted and ignored. {@code resumeParentOnCompletion} with
 * {@code parentRunId} makes the parent wait for the run ({@link #parentToResume}).
 */
public final class TriggerBodyDecoder {

    /** Options Baton refuses, with why: it has nothing they could select. */
    private static final Map<String, String> UNSUPPORTED = new LinkedHashMap<>();

    static {
        UNSUPPORTED.put("machine", "Baton has no machine presets: a run executes on a worker that serves its task");
        UNSUPPORTED.put("region", "Baton has no regions: a run executes on a worker that serves its task");
        UNSUPPORTED.put(
                "concurrency", "Baton has no named concurrency limits: use options.queue and options.concurrencyKey");
    }

    private final TriggerOptions options;
    private final Clock clock;

    public TriggerBodyDecoder(HttpSettings settings) {
        this(settings, Clock.systemUTC());
    }

    public TriggerBodyDecoder(HttpSettings settings, Clock clock) {
        this.options = ApiTriggerOptions.create(settings, clock);
        this.clock = clock;
    }

    /** The trigger request for {@code taskId}, without idempotency headers. */
    public TriggerRequest decode(String taskId, JsonNode body) {
        return decode(taskId, body, null, null);
    }

    /**
     * The trigger request for {@code taskId}. Payloads are stored decoded, as plain JSON.
     *
     * @param headerKey the {@code idempotency-key} header, used when the body names no key
     * @param headerKeyTtl the {@code idempotency-key-ttl} header, used when the body names no TTL
     */
    public TriggerRequest decode(String taskId, JsonNode body, String headerKey, String headerKeyTtl) {
        if (!body.isObject()) throw ApiException.badRequest("The request body must be a JSON object");
        try {
            JsonNode given = TriggerOptions.optionsObject(body.get("options"));
            refuseUnsupported(given);
            String payloadType = optionalString(option(given, "payloadType"), "options.payloadType");
            if (payloadType == null) payloadType = PayloadDecoder.APPLICATION_JSON;
            // An uploaded packet stays a path here; StoredPayloads puts its content in before the engine is asked.
            boolean stored = PayloadDecoder.STORE.equals(payloadType);
            String payloadJson = stored
                    ? PayloadDecoder.storePath(present(body.get("payload")))
                    : PayloadDecoder.decode(body.get("payload"), payloadType);
            TriggerRequest.Builder request = TriggerRequest.builder(taskId)
                    .payload(payloadJson, stored ? PayloadDecoder.STORE : PayloadDecoder.APPLICATION_JSON);
            options.decode(
                    given,
                    request,
                    new Fallback(headerKey, "idempotency-key header"),
                    new Fallback(headerKeyTtl, "idempotency-key-ttl header"));
            Debounce debounce = options.debounce(option(given, "debounce"), "options.debounce");
            TriggerRequest decoded = request.debounce(debounce).build();
            if (debounce == null) return decoded;
            if (decoded.idempotencyKey() != null) {
                // The key would stand for one run while debounce moves triggers between runs.
                throw ApiException.unprocessable("options.debounce cannot be combined with an idempotency key");
            }
            return option(given, "delay") != null
                    ? decoded
                    : decoded.toBuilder()
                            .delayUntil(clock.instant().plus(debounce.delay()))
                            .build();
        } catch (InvalidOptionException e) {
            throw ApiTriggerOptions.refusal(e);
        }
    }

    /**
     * The run that waits for this trigger's run ({@code triggerAndWait} from a task the trigger.dev CLI runs:
     * {@code options.resumeParentOnCompletion} true with {@code options.parentRunId}), or null for a plain trigger.
     * Without resumeParentOnCompletion, {@code parentRunId} is ignored, as before.
     */
    public static String parentToResume(JsonNode body) {
        if (!body.isObject()) return null;
        JsonNode given = TriggerOptions.optionsObject(body.get("options"));
        return parentToResume(option(given, "resumeParentOnCompletion"), option(given, "parentRunId"), "options.");
    }

    /** @param prefix where the fields are, for the error ({@code options.} in a trigger, empty in a batch) */
    public static String parentToResume(JsonNode resume, JsonNode parentRunId, String prefix) {
        if (resume == null || !resume.asBoolean(false)) return null;
        if (parentRunId == null
                || !parentRunId.isTextual()
                || parentRunId.textValue().isBlank())
            throw ApiException.badRequest(
                    prefix + "resumeParentOnCompletion needs " + prefix + "parentRunId, the run that waits");
        return parentRunId.textValue();
    }

    /** A refused option is named in the 400, so the caller sees it had no effect rather than guessing. */
    private static void refuseUnsupported(JsonNode options) {
        UNSUPPORTED.forEach((name, why) -> {
            if (option(options, name) != null) {
                throw ApiException.badRequest("options." + name + " is not supported: " + why);
            }
        });
    }

    private static JsonNode option(JsonNode options, String name) {
        return options == null ? null : present(options.get(name));
    }
}
