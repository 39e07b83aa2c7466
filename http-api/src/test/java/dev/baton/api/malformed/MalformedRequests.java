package dev.baton.api.malformed;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Malformed requests for the node's public routes, generated from a seed: each one is a valid request broken
 * in exactly one way (its {@link Kind}), so that the only right answer is a 4xx {@code {"error": "…"}}. The same
 * seed gives the same sequence, so a failure can be reproduced from the seed and the request's number.
 *
 * <p>A route is described once ({@link JsonRoute}): a valid body, the type of each field, the fields it requires
 * and where it takes any JSON at all. Every kind of malformation is derived from that description.
 */
final class MalformedRequests {

    /** The ways a request is broken; the test counts each. */
    enum Kind {
        WRONG_TYPE("wrong-type"),
        MISSING_FIELD("missing-field"),
        HUGE_NUMBER("huge-number"),
        DEEP_NESTING("deep-nesting"),
        INVALID_UTF8("invalid-utf8"),
        LONG_ID("long-id"),
        DUPLICATE_KEY("duplicate-key"),
        WRONG_CONTENT_TYPE("wrong-content-type"),
        TRUNCATED("truncated"),
        EMPTY_BODY("empty-body"),
        NOT_AN_OBJECT("not-an-object"),
        UNKNOWN_OPTION("unknown-option"),
        BAD_DURATION("bad-duration"),
        BAD_DATE("bad-date"),
        BAD_CRON("bad-cron"),
        BROKEN_NDJSON("broken-ndjson");

        final String label;

        Kind(String label) {
            this.label = label;
        }
    }

    /** What exists on the node for the requests to aim at: refusing garbage about them must leave them as they are. */
    record Targets(String secretKey, String taskId, String runId, String tokenId, String scheduleId, String batchId) {}

    /**
     * One request. A {@code raw} one is these exact bytes on a socket (request line and headers included), for what
     * an HTTP client refuses to send; the others go through an HTTP client. {@code mustName}: the error must name it
     * (an option the API refuses).
     */
    record Request(
            long number,
            Kind kind,
            String route,
            String method,
            String path,
            Map<String, String> headers,
            byte[] body,
            boolean raw,
            String mustName) {

        /** Enough to see what was sent: method, path and the start of the body, bytes beyond ASCII escaped. */
        String describe() {
            String shownPath = path.length() > 120 ? path.substring(0, 120) + "…(" + path.length() + " chars)" : path;
            return "#" + number + " " + kind.label + " " + route + ": " + method + " " + shownPath + " " + headers
                    + (raw ? " raw" : "") + " body " + preview(body);
        }
    }

    static final ObjectMapper JSON = new ObjectMapper();
    /** Nesting this deep breaks any recursive reader or writer of JSON trees. */
    static final int DEEP = 10_000;

    static final int LONG_ID = 1_000;
    /** One more than the API's limit of idempotency keys, which are legal at 1,000 characters. */
    static final int OVERLONG_KEY = 2_049;

    private static final String MARK = "@@malformed@@";
    private static final String JSON_TYPE = "application/json";
    private static final String NDJSON_TYPE = "application/x-ndjson";

    // ---------------------------------------------------------------- the values each field refuses

    private static final List<String> NOT_A_STRING =
            List.of("1", "true", "{}", "[]", "[\"a\"]", "1.5", "{\"a\":\"b\"}");
    private static final List<String> NOT_AN_OBJECT_VALUE = List.of("\"s\"", "1", "true", "[]", "[{}]");
    private static final List<String> NOT_AN_ARRAY = List.of("\"s\"", "1", "true", "{}");
    /** Literals beyond every bound: a double's range, a long's, a negative count, 20 digits. */
    private static final List<String> HUGE = List.of(
            "1e400",
            "9223372036854775808",
            "-1",
            "99999999999999999999",
            "-9223372036854775809",
            "18446744073709551616",
            "-1e400");

    private static final List<String> BAD_DURATIONS = List.of(
            "6x",
            "-1s",
            "1h-30m",
            "",
            " ",
            "1.5h",
            "ms",
            "1d2w",
            "10",
            "99999999999999999999s",
            "9999999999999w",
            "1s1s",
            "P1D",
            "1 h",
            "1H",
            "s",
            "-0s",
            "1e3s");
    private static final List<String> BAD_DATES = List.of(
            "2025-13-45T00:00:00Z",
            "2025-02-30",
            "2025-01-01T25:00:00Z",
            "2025-01-01T00:00:00+25:00",
            "2025-1-1",
            "not-a-date",
            "+275760-09-13T00:00:00.000Z",
            "2025-01-01T00:00:00.000Zjunk",
            "0000-00-00",
            "2031-06-15T12:00:00 UTC",
            "Tue, 01 Jan 2030 00:00:00 GMT",
            "2030-01-01T00:00:00Z[Mars/Base]",
            "2030-W01-1");
    /** Dates that parse but lie beyond the API's 240 days: refused all the same. */
    private static final List<String> TOO_FAR_DATES = List.of("9999-12-31T23:59:59Z", "2999-01-01");

    private static final List<String> BAD_CRONS = List.of(
            "* * * *",
            "* * * * * *",
            "61 * * * *",
            "* 24 * * *",
            "* * 32 * *",
            "* * * 13 *",
            "* * * * 8",
            "*/0 * * * *",
            "5-1 * * * *",
            "a b c d e",
            "",
            "   ",
            "0 0 30 2 *",
            "0 0 31 4 *",
            "1,,2 * * * *",
            "99999 * * * *",
            "*/99999 * * * *",
            "-1 * * * *",
            "L * * * *",
            "* * * FOO *",
            "* * * * MON-",
            "@daily",
            "* * 0 * *",
            "0/0 * * * *",
            "* * * * 8L",
            "1-2-3 * * * *",
            "* * * * SUN/MON",
            "99999999999999999999 * * * *",
            "*/-1 * * * *",
            "0 0 30,31 2 *");
    /** Byte sequences no UTF-8 decoder may accept: a stray byte, a lone continuation, cut sequences, an overlong
     * NUL, an encoded surrogate, a code point past U+10FFFF, a five-byte form. */
    private static final List<byte[]> INVALID_UTF8 = List.of(
            bytes(0xFF),
            bytes(0x80),
            bytes(0xC3, 0x28),
            bytes(0xE2, 0x82),
            bytes(0xC0, 0x80),
            bytes(0xED, 0xA0, 0x80),
            bytes(0xF4, 0x90, 0x80, 0x80),
            bytes(0xF8, 0x88, 0x80, 0x80, 0x80),
            bytes(0xFE, 0xFE, 0xFF, 0xFF),
            bytes(0xE0, 0x80, 0xAF));

    private static final List<String> WRONG_CONTENT_TYPES = List.of(
            "text/plain",
            "application/xml",
            "",
            "multipart/form-data; boundary=malformed",
            "application/x-www-form-urlencoded",
            "application/octet-stream",
            "text/json",
            "application/jsonx");
    private static final List<String> NOT_OBJECTS =
            List.of("42", "\"text\"", "true", "false", "null", "[]", "[{}]", "[1,2,3]", "1e400", "-0", "\"{}\"");
    private static final List<String> EMPTY_BODIES = List.of("", " ", "\n\t \r\n");
    private static final List<String> UNKNOWN_PAYLOAD_TYPES = List.of(
            "application/yaml",
            "text/html",
            "application/xml",
            "APPLICATION/JSON",
            "",
            "application/json; charset=utf-8");
    private static final List<String> UNKNOWN_OPERATION_TYPES = List.of("multiply", "SET", "Set", "push", "", "merge");

    /** The kind of value a field takes; it decides which malformed values the field gets. */
    enum Shape {
        STRING,
        IDEMPOTENCY_KEY,
        SCHEDULE_TASK,
        TAGS,
        TOKEN_TAGS,
        OBJECT,
        ARRAY_OF_OBJECTS,
        POSITIVE_INT,
        RUN_COUNT,
        INDEX,
        SECONDS,
        NUMBER,
        BOOLEAN,
        QUEUE,
        QUEUE_NAME,
        CONCURRENCY_KEY,
        DELAY,
        TTL,
        KEY_TTL,
        TIMEOUT,
        WINDOW,
        CRON,
        PAYLOAD_TYPE,
        OPERATION_TYPE
    }

    /**
     * A route that takes a JSON body: a valid body, its fields' shapes (by JSON pointer), the fields it requires,
     * and the places that take any JSON ({@code payload}, {@code data}, ignored options), where only the parser's
     * own limits stand between garbage and the engine.
     */
    record JsonRoute(
            String name,
            String method,
            String path,
            String body,
            Map<String, Shape> fields,
            List<String> required,
            List<String> freeSlots,
            boolean bodyOptional) {
        JsonNode base() {
            return parse(body);
        }
    }

    private final Random random;
    private final Targets targets;
    private final List<JsonRoute> routes;
    private final JsonRoute ndjsonItem;
    private long count;

    MalformedRequests(long seed, Targets targets) {
        this.random = new Random(seed);
        this.targets = targets;
        this.routes = jsonRoutes(targets);
        Map<String, Shape> itemShapes = withPrefix("/options", triggerOptionShapes());
        itemShapes.put("/index", Shape.INDEX);
        itemShapes.put("/task", Shape.STRING);
        this.ndjsonItem = new JsonRoute(
                "batch-v3-items",
                "POST",
                "/api/v3/batches/" + targets.batchId() + "/items",
                "{\"index\":0,\"task\":\"" + targets.taskId() + "\",\"payload\":{\"n\":1},\"options\":"
                        + TRIGGER_OPTIONS + "}",
                itemShapes,
                List.of("/index", "/task"),
                List.of("/payload", "/options/metadata/free", "/options/idempotencyKeyOptions"),
                false);
    }

    /** The next request; kinds take turns so that each is tried as often as the others. */
    Request next() {
        Kind kind = Kind.values()[(int) (count % Kind.values().length)];
        count++;
        return switch (kind) {
            case WRONG_TYPE -> fieldValue(kind, this::wrongTypes);
            case MISSING_FIELD -> missingField();
            case HUGE_NUMBER -> random.nextInt(6) == 0 ? hugeQueryNumber() : fieldValue(kind, this::hugeNumbers);
            case DEEP_NESTING -> deepNesting();
            case INVALID_UTF8 -> invalidUtf8();
            case LONG_ID -> longId();
            case DUPLICATE_KEY -> duplicateKey();
            case WRONG_CONTENT_TYPE -> wrongContentType();
            case TRUNCATED -> truncated();
            case EMPTY_BODY -> emptyBody();
            case NOT_AN_OBJECT -> notAnObject();
            case UNKNOWN_OPTION ->
                random.nextInt(5) == 0 ? unknownQueryValue() : fieldValue(kind, this::unknownOptions);
            case BAD_DURATION -> random.nextInt(8) == 0 ? badQueryPeriod() : fieldValue(kind, this::badDurations);
            case BAD_DATE -> random.nextInt(8) == 0 ? badQueryDate() : fieldValue(kind, this::badDates);
            case BAD_CRON -> fieldValue(kind, this::badCrons);
            case BROKEN_NDJSON -> brokenNdjson();
        };
    }

    // ---------------------------------------------------------------- the routes

    private static Map<String, Shape> triggerOptionShapes() {
        Map<String, Shape> shapes = new LinkedHashMap<>();
        shapes.put("", Shape.OBJECT);
        shapes.put("/payloadType", Shape.PAYLOAD_TYPE);
        shapes.put("/tags", Shape.TAGS);
        shapes.put("/metadata", Shape.OBJECT);
        shapes.put("/maxAttempts", Shape.POSITIVE_INT);
        shapes.put("/queue", Shape.QUEUE);
        shapes.put("/queue/name", Shape.QUEUE_NAME);
        shapes.put("/concurrencyKey", Shape.CONCURRENCY_KEY);
        shapes.put("/priority", Shape.SECONDS);
        shapes.put("/delay", Shape.DELAY);
        shapes.put("/ttl", Shape.TTL);
        shapes.put("/maxDuration", Shape.NUMBER);
        shapes.put("/idempotencyKey", Shape.IDEMPOTENCY_KEY);
        shapes.put("/idempotencyKeyTTL", Shape.KEY_TTL);
        shapes.put("/test", Shape.BOOLEAN);
        return shapes;
    }

    private static final String TRIGGER_OPTIONS = """
      {"payloadType":"application/json","tags":["t"],"metadata":{"m":1},"maxAttempts":2,"queue":{"name":"q"},\
      "concurrencyKey":"c","priority":1,"delay":"1h","ttl":"2h","maxDuration":60,"idempotencyKeyTTL":"1h",\
      "test":false}""";

    private static List<JsonRoute> jsonRoutes(Targets t) {
        List<JsonRoute> routes = new ArrayList<>();
        routes.add(new JsonRoute(
                "trigger",
                "POST",
                "/api/v1/tasks/" + t.taskId() + "/trigger",
                "{\"payload\":{\"n\":1},\"context\":{},\"options\":" + TRIGGER_OPTIONS + "}",
                withPrefix("/options", triggerOptionShapes()),
                List.of("/options/queue/name"),
                List.of("/payload", "/context", "/options/metadata/free", "/options/idempotencyKeyOptions", "/free"),
                false));

        String items = "{\"items\":[{\"task\":\"" + t.taskId() + "\",\"payload\":{\"n\":1},\"options\":"
                + TRIGGER_OPTIONS + "},{\"task\":\"" + t.taskId() + "\"}]}";
        Map<String, Shape> itemShapes = withPrefix("/items/0/options", triggerOptionShapes());
        itemShapes.put("/items", Shape.ARRAY_OF_OBJECTS);
        itemShapes.put("/items/1/task", Shape.STRING);
        List<String> itemFree = List.of(
                "/items/0/payload", "/items/0/context", "/items/0/options/metadata/free", "/items/1/free", "/free");
        routes.add(new JsonRoute(
                "batch-v1",
                "POST",
                "/api/v1/tasks/batch",
                items,
                itemShapes,
                List.of("/items", "/items/1/task", "/items/0/options/queue/name"),
                itemFree,
                false));
        routes.add(new JsonRoute(
                "batch-v2",
                "POST",
                "/api/v2/tasks/batch",
                items,
                itemShapes,
                List.of("/items", "/items/0/task"),
                itemFree,
                false));

        routes.add(new JsonRoute(
                "batch-v3-create",
                "POST",
                "/api/v3/batches",
                "{\"runCount\":2,\"parentRunId\":null}",
                Map.of("/runCount", Shape.RUN_COUNT, "/idempotencyKey", Shape.IDEMPOTENCY_KEY),
                List.of("/runCount"),
                List.of("/taskIdentifiers", "/idempotencyKeyOptions", "/free"),
                false));

        routes.add(new JsonRoute(
                "token-create",
                "POST",
                "/api/v1/waitpoints/tokens",
                "{\"timeout\":\"1h\",\"tags\":[\"w\"],\"idempotencyKeyTTL\":\"1h\"}",
                Map.of(
                        "/timeout",
                        Shape.TIMEOUT,
                        "/tags",
                        Shape.TOKEN_TAGS,
                        "/idempotencyKey",
                        Shape.IDEMPOTENCY_KEY,
                        "/idempotencyKeyTTL",
                        Shape.KEY_TTL),
                List.of(),
                List.of("/free", "/releaseConcurrency"),
                true));
        // A wrong hash: whatever the body, the token must stay untouched (401).
        routes.add(new JsonRoute(
                "token-callback",
                "POST",
                "/api/v1/waitpoints/tokens/" + t.tokenId() + "/callback/0000000000000000000000000000000000000000",
                "{\"ok\":true}",
                Map.of(),
                List.of(),
                List.of("/ok", "/free"),
                true));
        routes.add(new JsonRoute(
                "token-complete",
                "POST",
                "/api/v1/waitpoints/tokens/" + t.tokenId() + "/complete",
                "{\"data\":{\"ok\":true,\"list\":[1,\"two\"]}}",
                Map.of(),
                List.of(),
                List.of("/data", "/data/ok", "/free"),
                true));

        String schedule = "{\"task\":\"" + t.taskId() + "\",\"cron\":\"0 0 1 1 *\","
                + "\"deduplicationKey\":\"malformed-dedup\","
                + "\"externalId\":\"e\",\"timezone\":\"UTC\",\"window\":\"30m\"}";
        Map<String, Shape> scheduleShapes = Map.of(
                "/task",
                Shape.SCHEDULE_TASK,
                "/cron",
                Shape.CRON,
                "/deduplicationKey",
                Shape.STRING,
                "/externalId",
                Shape.STRING,
                "/timezone",
                Shape.STRING,
                "/window",
                Shape.WINDOW);
        routes.add(new JsonRoute(
                "schedule-create",
                "POST",
                "/api/v1/schedules",
                schedule,
                scheduleShapes,
                List.of("/task", "/cron", "/deduplicationKey"),
                List.of("/free"),
                false));
        // An update keeps the schedule's own deduplication key: one in the body is ignored, so it is no field here.
        Map<String, Shape> updateShapes = new LinkedHashMap<>(scheduleShapes);
        updateShapes.remove("/deduplicationKey");
        routes.add(new JsonRoute(
                "schedule-update",
                "PUT",
                "/api/v1/schedules/" + t.scheduleId(),
                schedule.replace("\"deduplicationKey\":\"malformed-dedup\",", ""),
                updateShapes,
                List.of("/task", "/cron"),
                List.of("/free", "/deduplicationKey"),
                false));

        // The task's own queue, named by type and name as the SDK does; garbage must neither pause nor override it.
        String queue = "/api/v1/queues/" + t.taskId();
        routes.add(new JsonRoute(
                "queue-pause",
                "POST",
                queue + "/pause",
                "{\"type\":\"task\",\"action\":\"pause\"}",
                Map.of("/type", Shape.STRING, "/action", Shape.STRING),
                List.of("/action"),
                List.of("/free"), // refused like any unknown field
                false));
        routes.add(new JsonRoute(
                "queue-override",
                "POST",
                queue + "/concurrency/override",
                "{\"type\":\"task\",\"concurrencyLimit\":1}",
                Map.of("/type", Shape.STRING, "/concurrencyLimit", Shape.NUMBER),
                List.of("/concurrencyLimit"),
                List.of("/free"), // refused like any unknown field
                false));
        routes.add(new JsonRoute(
                "queue-rate-limit-override",
                "POST",
                queue + "/rate-limit/override",
                "{\"type\":\"task\",\"limit\":5,\"period\":\"1s\"}",
                Map.of("/type", Shape.STRING, "/limit", Shape.NUMBER, "/period", Shape.STRING),
                List.of("/limit", "/period"),
                List.of("/free"), // refused like any unknown field
                false));

        String run = "/api/v1/runs/" + t.runId();
        routes.add(new JsonRoute(
                "run-replay",
                "POST",
                run + "/replay",
                """
        {"payload":{"n":2},"payloadType":"application/json","tags":["r"],"metadata":{"m":2},"queue":"q",\
        "concurrencyKey":"c","delay":"1h","ttl":"1h","maxAttempts":2,"maxDuration":60,"priority":1}""",
                Map.of(
                        "/payloadType",
                        Shape.PAYLOAD_TYPE,
                        "/tags",
                        Shape.TAGS,
                        "/metadata",
                        Shape.OBJECT,
                        "/queue",
                        Shape.QUEUE,
                        "/concurrencyKey",
                        Shape.CONCURRENCY_KEY,
                        "/delay",
                        Shape.DELAY,
                        "/ttl",
                        Shape.TTL,
                        "/maxAttempts",
                        Shape.POSITIVE_INT,
                        "/maxDuration",
                        Shape.NUMBER,
                        "/priority",
                        Shape.SECONDS),
                List.of(),
                List.of("/payload", "/machine", "/free"),
                true));
        routes.add(new JsonRoute(
                "run-reschedule",
                "POST",
                run + "/reschedule",
                "{\"delay\":\"2h\"}",
                Map.of("/delay", Shape.DELAY),
                List.of("/delay"),
                List.of("/free"),
                false));
        routes.add(new JsonRoute(
                "run-tags",
                "POST",
                run + "/tags",
                "{\"tags\":[\"x\",\"y\"]}",
                Map.of("/tags", Shape.TAGS),
                List.of("/tags"),
                List.of("/free"),
                false));
        routes.add(new JsonRoute(
                "run-metadata",
                "PUT",
                run + "/metadata",
                "{\"metadata\":{\"k\":1},\"operations\":[{\"type\":\"set\",\"key\":\"a\",\"value\":1},"
                        + "{\"type\":\"append\",\"key\":\"$.list\",\"value\":\"v\"}]}",
                Map.of(
                        "/metadata",
                        Shape.OBJECT,
                        "/operations",
                        Shape.ARRAY_OF_OBJECTS,
                        "/operations/0/type",
                        Shape.OPERATION_TYPE,
                        "/operations/1/key",
                        Shape.STRING),
                List.of("/operations/0/type", "/operations/0/key", "/operations/1/value"),
                List.of("/metadata/free", "/operations/0/value", "/parentOperations", "/free"),
                false));
        routes.add(new JsonRoute(
                "idempotency-key-reset",
                "POST",
                "/api/v1/idempotencyKeys/malformed-key/reset",
                "{\"taskIdentifier\":\"" + t.taskId() + "\"}",
                Map.of("/taskIdentifier", Shape.STRING),
                List.of("/taskIdentifier"),
                List.of("/free"),
                false));
        return List.copyOf(routes);
    }

    private static Map<String, Shape> withPrefix(String prefix, Map<String, Shape> shapes) {
        Map<String, Shape> prefixed = new LinkedHashMap<>();
        shapes.forEach((pointer, shape) -> prefixed.put(prefix + pointer, shape));
        return prefixed;
    }

    // ---------------------------------------------------------------- field values, by shape

    private interface Values {
        /** The malformed values (raw JSON) for a field of this shape; empty when the kind does not apply to it. */
        List<String> of(Shape shape);
    }

    private List<String> wrongTypes(Shape shape) {
        return switch (shape) {
            case STRING,
                    IDEMPOTENCY_KEY,
                    SCHEDULE_TASK,
                    CRON,
                    KEY_TTL,
                    WINDOW,
                    PAYLOAD_TYPE,
                    OPERATION_TYPE,
                    QUEUE_NAME -> NOT_A_STRING;
            case TAGS -> List.of("1", "true", "{}", "[1]", "[\"a\",2]", "[{}]", "[null]", "[[]]");
            case TOKEN_TAGS -> List.of("1", "true", "{}", "[1]", "[true]", "[{}]", "[\"\"]");
            case OBJECT -> NOT_AN_OBJECT_VALUE;
            case ARRAY_OF_OBJECTS -> List.of("\"s\"", "1", "true", "{}", "[1]", "[\"s\"]", "[[]]", "[null]");
            case POSITIVE_INT -> List.of("\"2\"", "true", "{}", "[]", "1.5", "0");
            case RUN_COUNT -> List.of("\"2\"", "true", "{}", "[]", "1.5", "0", "1001");
            case INDEX -> List.of("\"0\"", "true", "{}", "[]", "1.5");
            case SECONDS, NUMBER -> List.of("\"1\"", "true", "{}", "[]");
            case BOOLEAN -> List.of("\"true\"", "1", "{}", "[]", "\"false\"");
            case QUEUE -> List.of("1", "true", "[]", "{\"name\":1}", "{\"name\":true}", "\"\"", "{\"name\":\"\"}");
            case CONCURRENCY_KEY -> List.of("true", "{}", "[]", "[\"c\"]");
            case DELAY -> List.of("1", "true", "{}", "[]", "1.5", "3600");
            case TTL -> List.of("true", "{}", "[]", "[\"1h\"]", "1.5");
            case TIMEOUT -> List.of("true", "{}", "[]", "1.5", "[\"1h\"]");
        };
    }

    /** Only where every huge literal is out of bounds (maxDuration clamps, a concurrency key takes any number). */
    private List<String> hugeNumbers(Shape shape) {
        return switch (shape) {
            case POSITIVE_INT, RUN_COUNT, INDEX, SECONDS, TTL -> HUGE;
            case TIMEOUT ->
                HUGE.stream().filter(value -> !value.equals("-1")).toList(); // -1 ms: a time long past, valid
            default -> List.of();
        };
    }

    private List<String> badDurations(Shape shape) {
        return switch (shape) {
            case DELAY, TTL, KEY_TTL, TIMEOUT -> quoted(BAD_DURATIONS);
            case WINDOW -> quoted(List.of("6x", "-1s", "25h", "1d", "101%", "", "1000000m", "30", "1.5h", "-30%"));
            default -> List.of();
        };
    }

    private List<String> badDates(Shape shape) {
        return switch (shape) {
            case DELAY, TIMEOUT -> quoted(concat(BAD_DATES, TOO_FAR_DATES));
            default -> List.of();
        };
    }

    private List<String> badCrons(Shape shape) {
        return shape == Shape.CRON ? quoted(BAD_CRONS) : List.of();
    }

    private List<String> unknownOptions(Shape shape) {
        return switch (shape) {
            case PAYLOAD_TYPE -> quoted(UNKNOWN_PAYLOAD_TYPES);
            case OPERATION_TYPE -> quoted(UNKNOWN_OPERATION_TYPES);
            default -> List.of();
        };
    }

    /** A random route and field the kind applies to, with one of the field's malformed values. */
    private Request fieldValue(Kind kind, Values values) {
        List<String[]> choices = new ArrayList<>(); // {route index or -1 for NDJSON, pointer}
        for (int i = 0; i < routes.size(); i++) {
            for (Map.Entry<String, Shape> field : routes.get(i).fields().entrySet()) {
                if (!values.of(field.getValue()).isEmpty())
                    choices.add(new String[] {String.valueOf(i), field.getKey()});
            }
        }
        for (Map.Entry<String, Shape> field : ndjsonItem.fields().entrySet()) {
            if (!values.of(field.getValue()).isEmpty()) choices.add(new String[] {"-1", field.getKey()});
        }
        String[] choice = pick(choices);
        int routeIndex = Integer.parseInt(choice[0]);
        JsonRoute route = routeIndex < 0 ? ndjsonItem : routes.get(routeIndex);
        Shape shape = route.fields().get(choice[1]);
        String value = pick(values.of(shape));
        // A payloadType refused with a payload that is an object: "application/store" wants a path, so names it too.
        String mustName = kind == Kind.UNKNOWN_OPTION ? (shape == Shape.PAYLOAD_TYPE ? "payloadType" : "type") : null;
        byte[] body = replaced(route.base(), choice[1], utf8(value));
        return routeIndex < 0 ? ndjson(kind, body, mustName) : json(kind, route, body, mustName);
    }

    // ---------------------------------------------------------------- the other kinds

    private Request missingField() {
        if (random.nextInt(8) == 0) {
            String line = pick(List.of(
                    "{\"task\":\"" + targets.taskId() + "\"}",
                    "{\"index\":0}",
                    "{\"index\":null,\"task\":\"" + targets.taskId() + "\"}",
                    "{\"index\":0,\"task\":null}"));
            return ndjson(Kind.MISSING_FIELD, ndjsonBody(line), null);
        }
        List<JsonRoute> withRequired =
                routes.stream().filter(route -> !route.required().isEmpty()).toList();
        JsonRoute route = pick(withRequired);
        String pointer = pick(route.required());
        JsonNode body = route.base();
        // Null counts as absent everywhere, except for a metadata operation's value, where null is a value.
        if (random.nextBoolean() && !pointer.endsWith("/value")) {
            return json(Kind.MISSING_FIELD, route, replaced(body, pointer, utf8("null")), null);
        }
        remove(body, pointer);
        if (pointer.equals("/items") && random.nextBoolean()) ((ObjectNode) body).putArray("items"); // [] holds no item
        return json(Kind.MISSING_FIELD, route, utf8(write(body)), null);
    }

    private Request deepNesting() {
        String deep = deepJson();
        if (random.nextInt(6) == 0) {
            return ndjson(
                    Kind.DEEP_NESTING,
                    ndjsonBody(new String(
                            replaced(ndjsonItem.base(), pick(ndjsonItem.freeSlots()), utf8(deep)),
                            StandardCharsets.UTF_8)),
                    null);
        }
        JsonRoute route = pick(routes);
        // Mostly where any JSON is welcome (payload, data, ignored options): there only a depth limit refuses it.
        List<String> slots = random.nextInt(4) == 0 ? concat(List.of(""), pointers(route.base())) : route.freeSlots();
        return json(Kind.DEEP_NESTING, route, replaced(route.base(), pick(slots), utf8(deep)), null);
    }

    private Request invalidUtf8() {
        int variant = random.nextInt(20);
        if (variant == 0) return rawInvalidRequestLine();
        if (variant == 1) return rawInvalidHeader();
        if (variant == 2) {
            // Percent-encoded bytes that decode to no UTF-8 string, in an id.
            String bad = pick(List.of("%FF%FE", "%C0%80", "%ED%A0%80", "%80", "%F4%90%80%80"));
            return get(Kind.INVALID_UTF8, "run-retrieve", "/api/v3/runs/run_" + bad);
        }
        boolean ndjson = random.nextInt(6) == 0;
        JsonRoute route = ndjson ? ndjsonItem : pick(routes);
        JsonNode base = route.base();
        // Bytes that are no UTF-8, or (1 in 5) a surrogate escaped alone: valid JSON syntax, yet no character.
        byte[] invalid = random.nextInt(5) == 0
                ? utf8(pick(List.of("\\uD800", "\\uDC00", "\\uDBFF\\u0041", "\\uDFFF\\uD800")))
                : pick(INVALID_UTF8);
        byte[] body;
        if (random.nextInt(3) == 0) {
            // In a key: {"pay\xFFload": …}
            List<String> objects = objectPointers(base);
            String object = pick(objects);
            ((ObjectNode) base.at(object)).put("k" + MARK, 1);
            body = withMark(write(base), concat(utf8("\"k"), invalid, utf8("\"")), "\"k" + MARK + "\"");
        } else {
            List<String> slots = concat(route.freeSlots(), stringPointers(base));
            body = replaced(base, pick(slots), concat(utf8("\"ab"), invalid, utf8("cd\"")));
        }
        return ndjson ? ndjson(Kind.INVALID_UTF8, ndjsonBody(body), null) : json(Kind.INVALID_UTF8, route, body, null);
    }

    private Request longId() {
        String id = randomId(LONG_ID);
        String overlong = randomId(OVERLONG_KEY);
        String run = "/api/v1/runs/" + id;
        String token = "/api/v1/waitpoints/tokens/" + id;
        String schedule = "/api/v1/schedules/" + id;
        String taskBody = "{\"payload\":{\"n\":1}}";
        String item = "{\"index\":0,\"task\":\"" + targets.taskId() + "\"}\n";
        String scheduleBody = "{\"task\":\"" + targets.taskId() + "\",\"cron\":\"0 0 1 1 *\"}";
        return switch (random.nextInt(22)) {
            case 0 -> post(Kind.LONG_ID, "trigger", "/api/v1/tasks/" + id + "/trigger", taskBody);
            case 1 -> get(Kind.LONG_ID, "run-retrieve", "/api/v3/runs/" + id);
            case 2 -> get(Kind.LONG_ID, "run-events", run + "/events");
            case 3 -> post(Kind.LONG_ID, "run-cancel", "/api/v2/runs/" + id + "/cancel", null);
            case 4 -> post(Kind.LONG_ID, "run-replay", run + "/replay", random.nextBoolean() ? null : "{}");
            case 5 -> post(Kind.LONG_ID, "run-reschedule", run + "/reschedule", "{\"delay\":\"1h\"}");
            case 6 -> post(Kind.LONG_ID, "run-tags", run + "/tags", "{\"tags\":[\"a\"]}");
            case 7 ->
                request(Kind.LONG_ID, "run-metadata", "PUT", run + "/metadata", JSON_TYPE, utf8("{\"metadata\":{}}"));
            case 8 -> get(Kind.LONG_ID, "token-retrieve", token);
            case 9 -> post(Kind.LONG_ID, "token-complete", token + "/complete", "{\"data\":1}");
            case 10 -> post(Kind.LONG_ID, "token-callback", token + "/callback/" + randomId(40), "{\"ok\":1}");
            case 11 -> get(Kind.LONG_ID, "schedule-retrieve", schedule);
            case 12 -> request(Kind.LONG_ID, "schedule-update", "PUT", schedule, JSON_TYPE, utf8(scheduleBody));
            case 13 -> request(Kind.LONG_ID, "schedule-delete", "DELETE", schedule, null, null);
            case 14 ->
                post(
                        Kind.LONG_ID,
                        "schedule-activate",
                        schedule + (random.nextBoolean() ? "/activate" : "/deactivate"),
                        null);
            case 15 -> get(Kind.LONG_ID, "batch-retrieve", "/api/v2/batches/" + id);
            case 16 ->
                request(
                        Kind.LONG_ID,
                        "batch-v3-items",
                        "POST",
                        "/api/v3/batches/" + id + "/items",
                        NDJSON_TYPE,
                        utf8(item));
            case 17 ->
                post(
                        Kind.LONG_ID,
                        "idempotency-key-reset",
                        "/api/v1/idempotencyKeys/" + overlong + "/reset",
                        "{\"taskIdentifier\":\"" + targets.taskId() + "\"}");
            case 18 -> {
                // Ids in bodies: a schedule's task, a queue name, a tag, a concurrency key, idempotency keys past the
                // limit.
                JsonRoute route = routes.get(0);
                String pointer = pick(List.of(
                        "/options/queue/name",
                        "/options/tags/0",
                        "/options/concurrencyKey",
                        "/options/idempotencyKey"));
                String value = pointer.endsWith("idempotencyKey") ? overlong : id;
                yield json(Kind.LONG_ID, route, replaced(route.base(), pointer, utf8("\"" + value + "\"")), null);
            }
            case 19 -> {
                JsonRoute route = routes.stream()
                        .filter(r -> r.name().startsWith("schedule-"))
                        .toList()
                        .get(random.nextInt(2));
                yield json(Kind.LONG_ID, route, replaced(route.base(), "/task", utf8("\"" + id + "\"")), null);
            }
            case 20 -> {
                JsonRoute route = pick(routes.stream()
                        .filter(r -> r.fields().containsValue(Shape.IDEMPOTENCY_KEY)
                                && !r.name().startsWith("batch-v1")
                                && !r.name().startsWith("batch-v2"))
                        .toList());
                String pointer = route.fields().entrySet().stream()
                        .filter(f -> f.getValue() == Shape.IDEMPOTENCY_KEY)
                        .map(Map.Entry::getKey)
                        .findFirst()
                        .orElseThrow();
                yield json(Kind.LONG_ID, route, replaced(route.base(), pointer, utf8("\"" + overlong + "\"")), null);
            }
            default -> {
                // Idempotency keys in headers, past the limit.
                JsonRoute route = pick(List.of(routes.get(0), routes.get(1), routes.get(3)));
                String header =
                        route.name().equals("batch-v1") ? "idempotency-key" : "x-trigger-request-idempotency-key";
                Request request = json(Kind.LONG_ID, route, utf8(route.body()), null);
                Map<String, String> headers = new LinkedHashMap<>(request.headers());
                headers.put(header, overlong);
                yield new Request(
                        request.number(),
                        request.kind(),
                        request.route(),
                        request.method(),
                        request.path(),
                        headers,
                        request.body(),
                        false,
                        null);
            }
        };
    }

    private Request duplicateKey() {
        boolean ndjson = random.nextInt(6) == 0;
        JsonRoute route = ndjson ? ndjsonItem : pick(routes);
        JsonNode base = route.base();
        List<String> objects = objectPointers(base).stream()
                .filter(pointer -> base.at(pointer).size() > 0)
                .toList();
        JsonNode object = base.at(pick(objects));
        List<String> names = new ArrayList<>();
        object.fieldNames().forEachRemaining(names::add);
        String name = pick(names);
        // The same value again, or another one: either way the body says two things about one field.
        JsonNode value =
                random.nextBoolean() ? object.get(name) : JSON.getNodeFactory().textNode("other");
        String text = writeWithDuplicate(base, object, name, value);
        return ndjson
                ? ndjson(Kind.DUPLICATE_KEY, ndjsonBody(text), null)
                : json(Kind.DUPLICATE_KEY, route, utf8(text), null);
    }

    private Request wrongContentType() {
        String type = pick(WRONG_CONTENT_TYPES);
        if (random.nextInt(8) == 0) {
            String ndjsonWrong = pick(List.of(
                    JSON_TYPE, "text/plain", "", "multipart/form-data; boundary=malformed", "application/json-seq"));
            return request(
                    Kind.WRONG_CONTENT_TYPE,
                    "batch-v3-items",
                    "POST",
                    ndjsonItem.path(),
                    ndjsonWrong,
                    ndjsonBody(ndjsonItem.body()));
        }
        JsonRoute route = pick(routes);
        byte[] body = utf8(route.body());
        if (type.startsWith("multipart/")) {
            // The JSON as a form part: still not a JSON body.
            body = utf8("--malformed\r\nContent-Disposition: form-data; name=\"body\"\r\nContent-Type: application/json"
                    + "\r\n\r\n" + route.body() + "\r\n--malformed--\r\n");
        }
        return request(Kind.WRONG_CONTENT_TYPE, route.name(), route.method(), route.path(), type, body);
    }

    private Request truncated() {
        int variant = random.nextInt(40);
        if (variant == 0) return rawTruncated(false);
        if (variant == 1) return rawTruncated(true);
        if (variant < 6) {
            // The last NDJSON line cut short (cutting between lines would leave a valid stream).
            String body = ndjsonItem.body() + "\n" + ndjsonItem.body().replace("\"index\":0", "\"index\":1");
            int lastLine = body.lastIndexOf('\n') + 1;
            return ndjson(Kind.TRUNCATED, cut(utf8(body), lastLine + 1), null);
        }
        if (variant < 9) {
            // A payload string that is cut-off JSON text (the default payloadType reads it as JSON).
            JsonRoute route = routes.get(0);
            String text = write(JSON.getNodeFactory().textNode(pick(List.of("{\"a\":", "[1,2", "{\"a\":\"b", "tru"))));
            return json(Kind.TRUNCATED, route, replaced(route.base(), "/payload", utf8(text)), null);
        }
        JsonRoute route = pick(routes);
        return json(Kind.TRUNCATED, route, cut(utf8(route.body()), 1), null);
    }

    private Request emptyBody() {
        JsonRoute route = pick(routes.stream().filter(r -> !r.bodyOptional()).toList());
        String body = pick(EMPTY_BODIES);
        return request(
                Kind.EMPTY_BODY,
                route.name(),
                route.method(),
                route.path(),
                random.nextInt(4) == 0 ? "" : JSON_TYPE,
                utf8(body));
    }

    private Request notAnObject() {
        JsonRoute route = pick(routes);
        String body = pick(NOT_OBJECTS);
        if (route.name().startsWith("batch-v") && !route.name().equals("batch-v3-create") && random.nextBoolean()) {
            body = "[" + route.body() + "]"; // the items object inside an array
        }
        return json(Kind.NOT_AN_OBJECT, route, utf8(body), null);
    }

    private Request brokenNdjson() {
        String task = targets.taskId();
        String broken = pick(List.of(
                "not json",
                "{\"index\":0,\"task\":\"" + task + "\"}{\"index\":1}",
                "{\"index\":0,\"task\":\"" + task + "\"",
                "[{\"index\":0,\"task\":\"" + task + "\"}]",
                "42",
                "\"line\"",
                "null",
                "true",
                "{\"index\":99,\"task\":\"" + task + "\"}",
                "{\"index\":-1,\"task\":\"" + task + "\"}",
                "{\"index\":0,\"task\":\"\"}",
                "{\"index\":0,\"task\":5}",
                "{\"index\":\"0\",\"task\":\"" + task + "\"}",
                "{\"index\":0,\"task\":\"" + task + "\",\"options\":{\"delay\":true}}",
                "{index:0,task:\"" + task + "\"}",
                "{'index':0,'task':'" + task + "'}",
                "}",
                "{\"index\":0,,\"task\":\"" + task + "\"}",
                "\u0000",
                "{\"index\":0,\"task\":\"" + task + "\",\"payload\":NaN}"));
        return ndjson(Kind.BROKEN_NDJSON, ndjsonBody(broken), null);
    }

    // ---------------------------------------------------------------- query strings

    private Request hugeQueryNumber() {
        String value = pick(List.of("99999999999999999999", "1e400", "-1", "9223372036854775808", "0", "101"));
        return switch (random.nextInt(3)) {
            case 0 -> get(Kind.HUGE_NUMBER, "run-list", "/api/v1/runs?" + query("page[size]", value));
            case 1 -> get(Kind.HUGE_NUMBER, "token-list", "/api/v1/waitpoints/tokens?" + query("page[size]", value));
            // Page 101 is a page like any other; 101 per page is too many.
            default ->
                get(
                        Kind.HUGE_NUMBER,
                        "schedule-list",
                        "/api/v1/schedules?"
                                + query(random.nextBoolean() && !value.equals("101") ? "page" : "perPage", value));
        };
    }

    private Request unknownQueryValue() {
        String status = pick(List.of("BOGUS", "queued;drop", "PENDING_", "*"));
        return random.nextBoolean()
                ? withMustName(
                        get(
                                Kind.UNKNOWN_OPTION,
                                "run-list",
                                "/api/v1/runs?"
                                        + query(
                                                "filter[status]",
                                                random.nextBoolean() ? status : "EXECUTING," + status)),
                        "filter[status]")
                : withMustName(
                        get(
                                Kind.UNKNOWN_OPTION,
                                "token-list",
                                "/api/v1/waitpoints/tokens?"
                                        + query("filter[status]", random.nextBoolean() ? status : "WAITING,NEW")),
                        "filter[status]");
    }

    private Request badQueryPeriod() {
        String path = random.nextBoolean() ? "/api/v1/runs?" : "/api/v1/waitpoints/tokens?";
        // Absurdly long (9999999999999w) is no fault in a list: it lists everything.
        String period = pick(BAD_DURATIONS.stream()
                .filter(value -> !value.isBlank() && !value.endsWith("9w"))
                .toList());
        return get(
                Kind.BAD_DURATION,
                path.contains("runs") ? "run-list" : "token-list",
                path + query("filter[createdAt][period]", period));
    }

    private Request badQueryDate() {
        String path = random.nextBoolean() ? "/api/v1/runs?" : "/api/v1/waitpoints/tokens?";
        String name = random.nextBoolean() ? "filter[createdAt][from]" : "filter[createdAt][to]";
        return get(
                Kind.BAD_DATE, path.contains("runs") ? "run-list" : "token-list", path + query(name, pick(BAD_DATES)));
    }

    // ---------------------------------------------------------------- raw requests

    /** A request line with bytes that are no UTF-8 (and not even ASCII) in its path. */
    private Request rawInvalidRequestLine() {
        byte[] invalid = pick(INVALID_UTF8);
        String body = "{\"payload\":{\"n\":1}}";
        byte[] request = concat(
                utf8("POST /api/v1/tasks/"),
                invalid,
                utf8("/trigger HTTP/1.1\r\n"),
                utf8(head(JSON_TYPE, body.length())),
                utf8(body));
        return raw(Kind.INVALID_UTF8, "trigger", "POST", "/api/v1/tasks/<invalid bytes>/trigger", request);
    }

    /** A header whose value holds bytes that are no UTF-8: the key, or the content type. */
    private Request rawInvalidHeader() {
        byte[] invalid = pick(INVALID_UTF8);
        String body = "{\"payload\":{\"n\":1}}";
        boolean inKey = random.nextBoolean();
        byte[] head = inKey
                ? concat(
                        utf8("Host: 127.0.0.1\r\nAuthorization: Bearer "),
                        invalid,
                        utf8(targets.secretKey()
                                + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length()
                                + "\r\nConnection: close\r\n\r\n"))
                : concat(
                        utf8("Host: 127.0.0.1\r\nAuthorization: Bearer " + targets.secretKey()
                                + "\r\nContent-Type: application/"),
                        invalid,
                        utf8("json\r\nContent-Length: " + body.length() + "\r\nConnection: close\r\n\r\n"));
        byte[] request =
                concat(utf8("POST /api/v1/tasks/" + targets.taskId() + "/trigger HTTP/1.1\r\n"), head, utf8(body));
        return raw(Kind.INVALID_UTF8, "trigger", "POST", "/api/v1/tasks/" + targets.taskId() + "/trigger", request);
    }

    /**
     * A body shorter than it claims, after which the client closes its side: a Content-Length the bytes never
     * reach, or a chunked body whose last chunk is cut off.
     */
    private Request rawTruncated(boolean chunked) {
        JsonRoute route = pick(routes.stream().filter(r -> !r.bodyOptional()).toList());
        byte[] body = utf8(route.body());
        byte[] sent = cut(body, 1);
        byte[] request;
        if (chunked) {
            request = concat(
                    utf8(route.method() + " " + route.path()
                            + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + targets.secretKey()
                            + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: "
                            + "close\r\n\r\n"
                            + Integer.toHexString(body.length) + "\r\n"),
                    sent);
        } else {
            request = concat(
                    utf8(route.method() + " " + route.path() + " HTTP/1.1\r\n" + head(JSON_TYPE, body.length)), sent);
        }
        return raw(Kind.TRUNCATED, route.name(), route.method(), route.path(), request);
    }

    private String head(String contentType, int contentLength) {
        return "Host: 127.0.0.1\r\nAuthorization: Bearer " + targets.secretKey() + "\r\nContent-Type: " + contentType
                + "\r\nContent-Length: " + contentLength + "\r\nConnection: close\r\n\r\n";
    }

    // ---------------------------------------------------------------- building requests

    private Request json(Kind kind, JsonRoute route, byte[] body, String mustName) {
        return withMustName(request(kind, route.name(), route.method(), route.path(), JSON_TYPE, body), mustName);
    }

    private Request ndjson(Kind kind, byte[] body, String mustName) {
        return withMustName(request(kind, ndjsonItem.name(), "POST", ndjsonItem.path(), NDJSON_TYPE, body), mustName);
    }

    private Request get(Kind kind, String route, String path) {
        return request(kind, route, "GET", path, null, null);
    }

    private Request post(Kind kind, String route, String path, String jsonBody) {
        return request(
                kind,
                route,
                "POST",
                path,
                jsonBody == null ? null : JSON_TYPE,
                jsonBody == null ? null : utf8(jsonBody));
    }

    /** {@code contentType} "" sends none, null none either (no body). */
    private Request request(Kind kind, String route, String method, String path, String contentType, byte[] body) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Authorization", "Bearer " + targets.secretKey());
        if (contentType != null && !contentType.isEmpty()) headers.put("Content-Type", contentType);
        return new Request(count, kind, route, method, path, headers, body, false, null);
    }

    private Request raw(Kind kind, String route, String method, String path, byte[] bytes) {
        return new Request(count, kind, route, method, path, Map.of(), bytes, true, null);
    }

    private static Request withMustName(Request request, String mustName) {
        return new Request(
                request.number(),
                request.kind(),
                request.route(),
                request.method(),
                request.path(),
                request.headers(),
                request.body(),
                request.raw(),
                mustName);
    }

    /** The NDJSON items body: valid lines around the given one. */
    private byte[] ndjsonBody(String line) {
        return ndjsonBody(utf8(line));
    }

    private byte[] ndjsonBody(byte[] line) {
        String valid = ndjsonItem.body();
        String other = valid.replace("\"index\":0", "\"index\":1");
        return switch (random.nextInt(3)) {
            case 0 -> concat(line, utf8("\n"));
            case 1 -> concat(utf8(valid + "\n"), line, utf8("\n"));
            default -> concat(utf8(other + "\n\n"), line, utf8("\n" + valid));
        };
    }

    // ---------------------------------------------------------------- JSON surgery

    /** Ten thousand levels of arrays, objects or both, around a value. */
    private String deepJson() {
        StringBuilder json = new StringBuilder(DEEP * 6);
        int style = random.nextInt(3);
        for (int i = 0; i < DEEP; i++) json.append(style == 0 || (style == 2 && i % 2 == 0) ? "[" : "{\"a\":");
        json.append('1');
        for (int i = DEEP - 1; i >= 0; i--) json.append(style == 0 || (style == 2 && i % 2 == 0) ? ']' : '}');
        return json.toString();
    }

    /** The body with the value at {@code pointer} (a new field if absent) replaced by raw bytes. */
    static byte[] replaced(JsonNode body, String pointer, byte[] raw) {
        if (pointer.isEmpty()) return raw;
        JsonNode copy = body.deepCopy();
        JsonPointer path = JsonPointer.compile(pointer);
        JsonNode parent = copy.at(path.head());
        String last = path.last().getMatchingProperty();
        if (parent instanceof ArrayNode array) {
            array.set(Integer.parseInt(last), JSON.getNodeFactory().textNode(MARK));
        } else if (parent instanceof ObjectNode object) {
            object.put(last, MARK);
        } else {
            throw new IllegalArgumentException("no object or array at " + path.head() + " in " + body);
        }
        return withMark(write(copy), raw, "\"" + MARK + "\"");
    }

    private static void remove(JsonNode body, String pointer) {
        JsonPointer path = JsonPointer.compile(pointer);
        JsonNode parent = body.at(path.head());
        if (parent instanceof ArrayNode array) {
            array.remove(Integer.parseInt(path.last().getMatchingProperty()));
        } else {
            ((ObjectNode) parent).remove(path.last().getMatchingProperty());
        }
    }

    private static byte[] withMark(String text, byte[] replacement, String marker) {
        int at = text.indexOf(marker);
        if (at < 0) throw new IllegalStateException("no marker in " + text);
        return concat(utf8(text.substring(0, at)), replacement, utf8(text.substring(at + marker.length())));
    }

    /** The JSON text of {@code root}, with {@code name} written a second time in {@code object}. */
    private static String writeWithDuplicate(JsonNode root, JsonNode object, String name, JsonNode value) {
        StringBuilder out = new StringBuilder();
        writeNode(root, object, name, value, out);
        return out.toString();
    }

    private static void writeNode(JsonNode node, JsonNode object, String name, JsonNode value, StringBuilder out) {
        if (node.isObject()) {
            out.append('{');
            boolean first = true;
            for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext(); ) {
                Map.Entry<String, JsonNode> field = fields.next();
                if (!first) out.append(',');
                first = false;
                out.append(write(JSON.getNodeFactory().textNode(field.getKey())))
                        .append(':');
                writeNode(field.getValue(), object, name, value, out);
            }
            if (node == object) {
                out.append(',')
                        .append(write(JSON.getNodeFactory().textNode(name)))
                        .append(':')
                        .append(write(value));
            }
            out.append('}');
        } else if (node.isArray()) {
            out.append('[');
            for (int i = 0; i < node.size(); i++) {
                if (i > 0) out.append(',');
                writeNode(node.get(i), object, name, value, out);
            }
            out.append(']');
        } else {
            out.append(write(node));
        }
    }

    /** Every value's pointer in the tree (not the root). */
    private static List<String> pointers(JsonNode root) {
        List<String> pointers = new ArrayList<>();
        walk(root, "", (pointer, node) -> {
            if (!pointer.isEmpty()) pointers.add(pointer);
        });
        return pointers;
    }

    private static List<String> objectPointers(JsonNode root) {
        List<String> pointers = new ArrayList<>();
        walk(root, "", (pointer, node) -> {
            if (node.isObject()) pointers.add(pointer);
        });
        return pointers;
    }

    private static List<String> stringPointers(JsonNode root) {
        List<String> pointers = new ArrayList<>();
        walk(root, "", (pointer, node) -> {
            if (node.isTextual()) pointers.add(pointer);
        });
        return pointers;
    }

    private interface Visitor {
        void visit(String pointer, JsonNode node);
    }

    private static void walk(JsonNode node, String pointer, Visitor visitor) {
        visitor.visit(pointer, node);
        if (node.isObject()) {
            node.fields()
                    .forEachRemaining(field -> walk(
                            field.getValue(),
                            pointer + "/" + field.getKey().replace("~", "~0").replace("/", "~1"),
                            visitor));
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) walk(node.get(i), pointer + "/" + i, visitor);
        }
    }

    // ---------------------------------------------------------------- small helpers

    /** At least {@code keep} bytes and at least one byte fewer than the whole. */
    private byte[] cut(byte[] whole, int keep) {
        int length = keep + random.nextInt(whole.length - keep);
        byte[] part = new byte[length];
        System.arraycopy(whole, 0, part, 0, length);
        return part;
    }

    private String randomId(int length) {
        String alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        StringBuilder id = new StringBuilder(length);
        for (int i = 0; i < length; i++) id.append(alphabet.charAt(random.nextInt(alphabet.length())));
        return id.toString();
    }

    private <T> T pick(List<T> choices) {
        return choices.get(random.nextInt(choices.size()));
    }

    private static String query(String name, String value) {
        return URLEncoder.encode(name, StandardCharsets.UTF_8) + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static List<String> quoted(List<String> values) {
        return values.stream()
                .map(value -> write(JSON.getNodeFactory().textNode(value)))
                .toList();
    }

    private static <T> List<T> concat(List<T> first, List<T> second) {
        List<T> all = new ArrayList<>(first);
        all.addAll(second);
        return all;
    }

    static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String write(JsonNode node) {
        try {
            return JSON.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] bytes(int... values) {
        byte[] bytes = new byte[values.length];
        for (int i = 0; i < values.length; i++) bytes[i] = (byte) values[i];
        return bytes;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) out.writeBytes(part);
        return out.toByteArray();
    }

    /** The first 160 bytes, printable ASCII as is and everything else as \xNN. */
    static String preview(byte[] body) {
        if (body == null) return "(none)";
        StringBuilder shown = new StringBuilder();
        for (int i = 0; i < Math.min(body.length, 160); i++) {
            int b = body[i] & 0xFF;
            shown.append(b >= 0x20 && b < 0x7F ? String.valueOf((char) b) : String.format("\\x%02X", b));
        }
        if (body.length > 160) shown.append("…(").append(body.length).append(" bytes)");
        return shown.toString();
    }
}
