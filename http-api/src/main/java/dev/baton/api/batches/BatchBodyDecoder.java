package dev.baton.api.batches;

import static dev.baton.engine.run.TriggerOptions.present;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.api.config.HttpSettings;
import dev.baton.api.errors.ApiException;
import dev.baton.api.runs.TriggerBodyDecoder;
import dev.baton.engine.batch.BatchService.Item;
import dev.baton.engine.run.TriggerRequest;
import java.util.ArrayList;
import java.util.List;

/**
 * Validates the batch calls' bodies before the engine is asked anything. An item is a trigger body
 * ({@code payload}, {@code options}) plus its {@code task} (and, in the NDJSON stream, its {@code index}),
 * so its payload and options are decoded by {@link TriggerBodyDecoder}, exactly like a single trigger's.
 * A JSON {@code null} counts as absent.
 */
final class BatchBodyDecoder {

    /** Phase 1: how many items, under which idempotency key (null for none). */
    /** @param taskIdentifiers the tasks the items will name, as newer SDKs declare them; null when not sent */
    /** @param parentToResume the run that waits for the batch ({@code batchTriggerAndWait}); null for none */
    record CreateBatch(int runCount, String idempotencyKey, List<String> taskIdentifiers, String parentToResume) {}

    private final TriggerBodyDecoder triggers;
    private final HttpSettings settings;
    private final int maxRunCount;

    BatchBodyDecoder(HttpSettings settings, int maxRunCount) {
        this.triggers = new TriggerBodyDecoder(settings);
        this.settings = settings;
        this.maxRunCount = maxRunCount;
    }

    /**
     * {@code POST /api/v3/batches} {@code {runCount, idempotencyKey?, taskIdentifiers?, …}}. {@code taskIdentifiers}
     * decides what a public access token needs ({@code batchTrigger:tasks:<id>} for each);
     * {@code idempotencyKeyOptions} is accepted and ignored; {@code resumeParentOnCompletion} true with
     * {@code parentRunId} makes that run wait for the batch (not combined with an {@code idempotencyKey}); without
     * it, {@code parentRunId} is ignored.
     */
    CreateBatch create(JsonNode body) {
        requireObject(body);
        String parent = TriggerBodyDecoder.parentToResume(
                present(body.get("resumeParentOnCompletion")), present(body.get("parentRunId")), "");
        JsonNode runCount = present(body.get("runCount"));
        if (runCount == null) throw ApiException.badRequest("runCount is required");
        if (!runCount.isIntegralNumber()
                || !runCount.canConvertToInt()
                || runCount.intValue() < 1
                || runCount.intValue() > maxRunCount) {
            throw ApiException.badRequest("runCount must be an integer between 1 and " + maxRunCount);
        }
        String key = idempotencyKey(body.get("idempotencyKey"), "idempotencyKey");
        if (parent != null && key != null)
            throw ApiException.badRequest("idempotencyKey with resumeParentOnCompletion (batchTriggerAndWait)"
                    + " is not supported yet: the parent's wait identifies the batch");
        return new CreateBatch(runCount.intValue(), key, taskIdentifiers(present(body.get("taskIdentifiers"))), parent);
    }

    private static List<String> taskIdentifiers(JsonNode taskIdentifiers) {
        if (taskIdentifiers == null) return null;
        if (!taskIdentifiers.isArray()) throw ApiException.badRequest("taskIdentifiers must be a list of strings");
        List<String> tasks = new ArrayList<>();
        for (JsonNode task : taskIdentifiers) {
            if (!task.isTextual()) throw ApiException.badRequest("taskIdentifiers must be a list of strings");
            tasks.add(task.textValue());
        }
        return tasks;
    }

    /** One line of the NDJSON items stream: {@code {index, task, payload?, options?}}. */
    Item item(JsonNode line, long lineNumber) {
        String where = "Item on line " + lineNumber;
        if (!line.isObject()) throw ApiException.badRequest(where + " must be a JSON object");
        JsonNode index = present(line.get("index"));
        if (index == null) throw ApiException.badRequest(where + ": index is required");
        if (!index.isIntegralNumber() || !index.canConvertToInt() || index.intValue() < 0) {
            throw ApiException.badRequest(where + ": index must be an integer of at least 0");
        }
        return new Item(index.intValue(), request(line, "Item " + index.intValue()));
    }

    /** {@code {items: [{task, payload?, context?, options?}]}} of the single-call batches: 1 to the batch limit. */
    List<TriggerRequest> items(JsonNode body) {
        requireObject(body);
        JsonNode items = present(body.get("items"));
        if (items == null) throw ApiException.badRequest("items is required");
        if (!items.isArray()) throw ApiException.badRequest("items must be an array");
        if (items.isEmpty() || items.size() > maxRunCount) {
            throw ApiException.badRequest("items must hold between 1 and " + maxRunCount + " items");
        }
        List<TriggerRequest> requests = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            JsonNode item = items.get(i);
            if (!item.isObject()) throw ApiException.badRequest("items[" + i + "] must be a JSON object");
            requests.add(request(item, "items[" + i + "]"));
        }
        return requests;
    }

    /** A batch idempotency key (body field or header); null when absent or empty. */
    String idempotencyKey(JsonNode value, String field) {
        value = present(value);
        if (value == null) return null;
        if (!value.isTextual()) throw ApiException.badRequest(field + " must be a string");
        return idempotencyKey(value.textValue(), field);
    }

    String idempotencyKey(String key, String field) {
        if (key == null || key.isEmpty()) return null;
        if (key.length() > settings.maxIdempotencyKeyLength()) {
            throw ApiException.badRequest(
                    field + " must be at most " + settings.maxIdempotencyKeyLength() + " characters");
        }
        return key;
    }

    private TriggerRequest request(JsonNode item, String where) {
        JsonNode task = present(item.get("task"));
        if (task == null) throw ApiException.badRequest(where + ": task is required");
        if (!task.isTextual() || task.textValue().isEmpty()) {
            throw ApiException.badRequest(where + ": task must be a non-empty string");
        }
        TriggerRequest request;
        try {
            request = triggers.decode(task.textValue(), item);
        } catch (ApiException e) {
            throw new ApiException(e.status(), where + ": " + e.getMessage(), e.headers());
        }
        // A batch item's run has an id derived from the batch, so it cannot join a debounced run of its key.
        if (request.debounce() != null) {
            throw ApiException.unprocessable(where + ": options.debounce is not supported in batch items");
        }
        return request;
    }

    private static void requireObject(JsonNode body) {
        if (body == null || !body.isObject()) throw ApiException.badRequest("The request body must be a JSON object");
    }
}
