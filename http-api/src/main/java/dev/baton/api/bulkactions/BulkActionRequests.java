package dev.baton.api.bulkactions;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.api.errors.ApiException;
import dev.baton.api.listing.ListParams;
import dev.baton.api.runs.RunListParams;
import dev.baton.engine.bulk.BulkActionEntity.Type;
import dev.baton.engine.bulk.BulkRunFilter;
import dev.baton.projections.runs.RunList;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decodes {@code POST /api/v1/bulk-actions}'s body as the SDK's {@code CreateBulkActionRequestBody} defines it:
 * {@code {action: "cancel" | "replay", filter? | runIds?, name?, targetRegion?}}. The filter is the runs list's
 * ({@code runs.list}'s filter, as JSON): it is decoded by the runs list's own decoder, so a bulk action selects
 * exactly the runs {@code GET /api/v1/runs} would list. Anything else is a 400 naming the field.
 */
final class BulkActionRequests {

    /** Exactly one of {@code runIds} and {@code filter}. */
    record Create(Type type, String name, List<String> runIds, RunListParams.Decoded filter) {}

    static final int MAX_NAME_LENGTH = 255;

    private static final Set<String> FIELDS = Set.of("action", "filter", "runIds", "name", "targetRegion");

    /** The body's filter fields and the runs list parameter each one is. */
    private static final Map<String, String> FILTER_PARAMETERS = filterParameters();

    private BulkActionRequests() {}

    private static Map<String, String> filterParameters() {
        Map<String, String> parameters = new LinkedHashMap<>();
        parameters.put("status", RunListParams.STATUS);
        parameters.put("taskIdentifier", RunListParams.TASK);
        parameters.put("version", RunListParams.VERSION);
        parameters.put("from", ListParams.FROM);
        parameters.put("to", ListParams.TO);
        parameters.put("period", ListParams.PERIOD);
        parameters.put("bulkAction", "filter[bulkAction]");
        parameters.put("tag", RunListParams.TAG);
        parameters.put("schedule", RunListParams.SCHEDULE);
        parameters.put("isTest", RunListParams.IS_TEST);
        parameters.put("batch", RunListParams.BATCH);
        parameters.put("queue", RunListParams.QUEUE);
        parameters.put("machine", "filter[machine]");
        parameters.put("region", "filter[region]");
        return parameters;
    }

    static Create create(JsonNode body, RunListParams runListParams, int maxRunIds) {
        if (!body.isObject()) throw invalid("the body must be a JSON object");
        for (Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                throw invalid("unknown field '" + name + "'; allowed: "
                        + String.join(", ", FIELDS.stream().sorted().toList()));
            }
        }
        Type type = type(body.get("action"));
        String name = name(body.get("name"));
        JsonNode region = present(body.get("targetRegion"));
        if (region != null) {
            throw invalid(
                    type == Type.CANCEL
                            ? "'targetRegion' is only for replay"
                            : "'targetRegion' is not supported: Baton has no regions, replays run where the original ran");
        }
        JsonNode filter = present(body.get("filter"));
        JsonNode runIds = present(body.get("runIds"));
        if ((filter == null) == (runIds == null)) throw invalid("Exactly one of filter or runIds must be provided");
        if (runIds != null) return new Create(type, name, runIds(runIds, maxRunIds), null);
        return new Create(type, name, null, filter(filter, runListParams));
    }

    private static Type type(JsonNode action) {
        if (action == null || !action.isTextual()) throw invalid("'action' must be \"cancel\" or \"replay\"");
        return switch (action.textValue()) {
            case "cancel" -> Type.CANCEL;
            case "replay" -> Type.REPLAY;
            default -> throw invalid("'action' must be \"cancel\" or \"replay\"");
        };
    }

    private static String name(JsonNode name) {
        if (present(name) == null) return null;
        if (!name.isTextual()) throw invalid("'name' must be a string");
        if (name.textValue().length() > MAX_NAME_LENGTH) throw invalid("Name must be less than 255 characters");
        return name.textValue();
    }

    private static List<String> runIds(JsonNode runIds, int maxRunIds) {
        if (!runIds.isArray() || runIds.isEmpty()) throw invalid("'runIds' must be a non-empty array of run ids");
        if (runIds.size() > maxRunIds) {
            throw invalid("Too many runIds (" + runIds.size() + "). Maximum is " + maxRunIds
                    + ". Use a filter to select more runs.");
        }
        List<String> ids = new ArrayList<>();
        for (JsonNode id : runIds) {
            if (!id.isTextual() || id.textValue().isBlank()) throw invalid("'runIds' must hold run ids (strings)");
            ids.add(id.textValue());
        }
        return ids;
    }

    /** The filter as the runs list's query parameters, decoded (and checked) by the runs list's decoder. */
    private static RunListParams.Decoded filter(JsonNode filter, RunListParams runListParams) {
        if (!filter.isObject()) throw invalid("'filter' must be an object");
        Map<String, List<String>> query = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> fields = filter.fields(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> field = fields.next();
            String parameter = FILTER_PARAMETERS.get(field.getKey());
            if (parameter == null) {
                throw invalid("unknown filter 'filter." + field.getKey() + "'; allowed: "
                        + String.join(", ", FILTER_PARAMETERS.keySet()));
            }
            List<String> values = values(field.getKey(), field.getValue());
            if (!values.isEmpty()) query.put(parameter, values);
        }
        if (query.isEmpty()) throw invalid("At least one filter must be provided");
        try {
            return runListParams.decode(query);
        } catch (ApiException e) {
            throw invalid(renamed(e.getMessage()));
        }
    }

    /** A filter value as query values: a string, a number (epoch ms), a boolean, a queue, or an array of them. */
    private static List<String> values(String field, JsonNode value) {
        List<String> values = new ArrayList<>();
        if (value.isArray()) {
            if (Set.of("from", "to", "period", "isTest", "schedule", "batch", "bulkAction")
                    .contains(field)) {
                throw invalid("'filter." + field + "' takes one value, not an array");
            }
            for (JsonNode item : value) values.add(single(field, item));
        } else if (!value.isNull()) {
            values.add(single(field, value));
        }
        return values.stream().filter(text -> !text.isBlank()).toList();
    }

    private static String single(String field, JsonNode value) {
        if (field.equals("queue")) {
            // The SDK's QueueTypeName: a task's queue is named after its task, as the runs list names it.
            if (!value.isObject() || !value.path("name").isTextual()) {
                throw invalid("'filter.queue' must be {type: \"task\" | \"custom\", name}");
            }
            String type = value.path("type").asText("");
            return switch (type) {
                case "task" -> "task/" + value.get("name").textValue();
                case "custom" -> value.get("name").textValue();
                default -> throw invalid("'filter.queue' type must be \"task\" or \"custom\"");
            };
        }
        if (field.equals("isTest")) {
            if (!value.isBoolean()) throw invalid("'filter.isTest' must be true or false");
            return Boolean.toString(value.booleanValue());
        }
        if ((field.equals("from") || field.equals("to")) && value.isIntegralNumber()) return value.asText();
        if (!value.isTextual()) throw invalid("'filter." + field + "' must be a string or an array of strings");
        return value.textValue();
    }

    /** The runs list's message names a query parameter; the body's field is named instead. */
    private static String renamed(String message) {
        String text = message.replace("Invalid query parameter ", "");
        for (Map.Entry<String, String> entry : FILTER_PARAMETERS.entrySet()) {
            if (text.startsWith(entry.getValue() + ":")) {
                return "'filter." + entry.getKey() + "'"
                        + text.substring(entry.getValue().length());
            }
        }
        return text;
    }

    /**
     * The filter frozen now, as Trigger.dev freezes it: a period becomes its start, and the end is now at the latest,
     * so runs created later (the action's replays among them) are never selected.
     */
    static BulkRunFilter frozen(RunListParams.Decoded decoded, Instant now) {
        RunList.Filter filter = decoded.filter();
        Instant from = filter.createdFrom();
        if (filter.createdWithin() != null) {
            Instant since = now.minus(filter.createdWithin());
            if (from == null || since.isAfter(from)) from = since;
        }
        Instant before = filter.createdBefore();
        if (before == null || before.isAfter(now)) before = now;
        // A filter no Baton run can match (machine, region, bulkAction) selects nothing: an empty set of statuses.
        return new BulkRunFilter(
                decoded.matchesNothing() ? Set.of() : filter.statuses(),
                filter.taskIds(),
                filter.tags(),
                filter.queues(),
                filter.versions(),
                filter.batchId(),
                filter.scheduleId(),
                filter.test(),
                from,
                before);
    }

    private static JsonNode present(JsonNode node) {
        return node == null || node.isNull() || node.isMissingNode() ? null : node;
    }

    static ApiException invalid(String problem) {
        return ApiException.badRequest("Invalid request body: " + problem);
    }
}
