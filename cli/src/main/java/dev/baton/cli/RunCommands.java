package dev.baton.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Runs of one environment, through the Trigger.dev-compatible routes with the token naming the environment. */
@Command(
        name = "runs",
        description = "Trigger, list, inspect, cancel and replay runs, one or in bulk.",
        subcommands = {
            RunCommands.List.class,
            RunCommands.Get.class,
            RunCommands.Trigger.class,
            RunCommands.Cancel.class,
            RunCommands.Replay.class,
            RunCommands.Logs.class,
            BulkCommands.Cancel.class,
            BulkCommands.Replay.class,
            BulkCommands.Get.class,
            BulkCommands.List.class,
            BulkCommands.Abort.class
        })
final class RunCommands {

    @Mixin
    HelpOption help;

    /** A run command: it works in one project's environment. */
    abstract static class RunCommand extends ApiCommand {

        @Mixin
        EnvironmentOptions environment;

        @Override
        EnvironmentOptions environmentOptions() {
            return environment;
        }
    }

    @Command(name = "list", description = "List runs, newest first.")
    static final class List extends RunCommand {

        @Option(
                names = "--status",
                split = ",",
                paramLabel = "<status>",
                description = "Only runs in these statuses, e.g. QUEUED,EXECUTING,COMPLETED,FAILED,CANCELED.")
        java.util.List<String> statuses = new ArrayList<>();

        @Option(names = "--task", split = ",", paramLabel = "<taskId>", description = "Only runs of these tasks.")
        java.util.List<String> tasks = new ArrayList<>();

        @Option(names = "--tag", split = ",", paramLabel = "<tag>", description = "Only runs with one of these tags.")
        java.util.List<String> tags = new ArrayList<>();

        @Option(
                names = "--limit",
                paramLabel = "<n>",
                description = "At most this many runs (the node's page size when left out).")
        Integer limit;

        @Override
        int run() {
            if (limit != null && limit < 1) throw usage("--limit must be at least 1");
            StringBuilder query = new StringBuilder();
            addParameter(query, "filter[status]", String.join(",", statuses));
            addParameter(query, "filter[taskIdentifier]", String.join(",", tasks));
            addParameter(query, "filter[tag]", String.join(",", tags));
            if (limit != null) addParameter(query, "page[size]", limit.toString());
            JsonNode page = environmentClient().get("/api/v1/runs" + query);
            Table table = Table.of("ID", "STATUS", "TASK", "CREATED", "FINISHED", "TAGS");
            for (JsonNode run : page.path("data")) {
                table.row(
                        Table.cell(run, "id"),
                        Table.cell(run, "status"),
                        Table.cell(run, "taskIdentifier"),
                        Table.cell(run, "createdAt"),
                        Table.cell(run, "finishedAt"),
                        Table.cell(run, "tags"));
            }
            print(page, table);
            return 0;
        }

        private static void addParameter(StringBuilder query, String name, String value) {
            if (value.isEmpty()) return;
            query.append(query.length() == 0 ? '?' : '&')
                    .append(URLEncoder.encode(name, StandardCharsets.UTF_8))
                    .append('=')
                    .append(URLEncoder.encode(value, StandardCharsets.UTF_8));
        }
    }

    @Command(name = "get", description = "Show a run: status, times, attempts, output or error.")
    static final class Get extends RunCommand {

        @Parameters(paramLabel = "<runId>")
        String runId;

        @Override
        int run() {
            JsonNode run = environmentClient().get("/api/v3/runs/" + ApiClient.segment(runId));
            Table table = Table.of("FIELD", "VALUE")
                    .row("id", Table.cell(run, "id"))
                    .row("status", Table.cell(run, "status"))
                    .row("task", Table.cell(run, "taskIdentifier"))
                    .row("tags", Table.cell(run, "tags"))
                    .row("created", Table.cell(run, "createdAt"))
                    .row("started", Table.cell(run, "startedAt"))
                    .row("finished", Table.cell(run, "finishedAt"))
                    .row("delayed until", Table.cell(run, "delayedUntil"))
                    .row("attempts", Table.cell(run, "attemptCount"))
                    .row("idempotency key", Table.cell(run, "idempotencyKey"))
                    .row("payload", Table.cell(run, "payload"))
                    .row("output", Table.cell(run, "output"))
                    .row("error", Table.cell(run.path("error"), "message"));
            print(run, table);
            return 0;
        }
    }

    @Command(name = "trigger", description = "Trigger a run of a task.")
    static final class Trigger extends RunCommand {

        @Parameters(paramLabel = "<taskId>")
        String taskId;

        @Option(names = "--payload", paramLabel = "<json>", description = "The payload, as JSON text.")
        String payload;

        @Option(names = "--payload-file", paramLabel = "<file>", description = "A file holding the JSON payload.")
        String payloadFile;

        @Option(
                names = "--delay",
                paramLabel = "<delay>",
                description = "Start no sooner than this: a duration (30s, 15m, 2h) or an ISO-8601 date.")
        String delay;

        @Option(names = "--tag", split = ",", paramLabel = "<tag>", description = "Tags for the run.")
        java.util.List<String> tags = new ArrayList<>();

        @Option(
                names = "--idempotency-key",
                paramLabel = "<key>",
                description = "A run with this key for the task is answered instead of a new one.")
        String idempotencyKey;

        @Override
        int run() {
            ObjectNode body = ApiClient.JSON.createObjectNode();
            String json = payloadText();
            // The JSON text as a string with the default payloadType (application/json): the node parses it.
            if (json != null) body.put("payload", json);
            ObjectNode options = body.putObject("options");
            if (delay != null) options.put("delay", delay);
            if (!tags.isEmpty()) {
                ArrayNode tagArray = options.putArray("tags");
                tags.forEach(tagArray::add);
            }
            if (idempotencyKey != null) options.put("idempotencyKey", idempotencyKey);
            JsonNode triggered =
                    environmentClient().post("/api/v1/tasks/" + ApiClient.segment(taskId) + "/trigger", body);
            print(
                    triggered,
                    Table.of("ID", "CACHED").row(Table.cell(triggered, "id"), Table.cell(triggered, "isCached")));
            return 0;
        }

        private String payloadText() {
            if (payload != null && payloadFile != null) throw usage("Pass either --payload or --payload-file");
            String text = payload;
            if (payloadFile != null) {
                Path path = invocation().path(payloadFile);
                try {
                    text = Files.readString(path, StandardCharsets.UTF_8);
                } catch (IOException e) {
                    throw usage("Cannot read --payload-file " + path + ": " + e.getMessage());
                }
            }
            if (text == null) return null;
            try {
                ApiClient.JSON.readTree(text);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw usage("The payload is not JSON: " + e.getOriginalMessage());
            }
            return text;
        }
    }

    @Command(name = "cancel", description = "Cancel a run; a finished run stays as it is.")
    static final class Cancel extends RunCommand {

        @Parameters(paramLabel = "<runId>")
        String runId;

        @Override
        int run() {
            JsonNode answer = environmentClient().post("/api/v2/runs/" + ApiClient.segment(runId) + "/cancel", null);
            print(answer, Table.of("CANCELLED").row(Table.cell(answer, "id")));
            return 0;
        }
    }

    @Command(name = "replay", description = "Trigger a new run with the same task and payload as <runId>.")
    static final class Replay extends RunCommand {

        @Parameters(paramLabel = "<runId>")
        String runId;

        @Override
        int run() {
            JsonNode answer = environmentClient().post("/api/v1/runs/" + ApiClient.segment(runId) + "/replay", null);
            print(answer, Table.of("REPLAYED AS").row(Table.cell(answer, "id")));
            return 0;
        }
    }

    @Command(
            name = "logs",
            description = {
                "Print what a run's handler logged, oldest first; --follow prints new lines until the run ends.",
                "With --follow, exit code 0 if the run completed, 1 if it did not."
            })
    static final class Logs extends RunCommand {

        @Parameters(paramLabel = "<runId>")
        String runId;

        @Option(names = "--attempt", paramLabel = "<n>", description = "Only this attempt's lines (1 is the first).")
        Integer attempt;

        @Option(
                names = "--level",
                paramLabel = "<level>",
                description = "Only lines at this level or above: trace, debug, info, warn, error.")
        String level;

        @Option(
                names = {"-f", "--follow"},
                description = "Keep printing new lines as the run logs them, until the run ends.")
        boolean follow;

        @Override
        int run() {
            ApiClient client = environmentClient();
            StringBuilder query = new StringBuilder();
            if (attempt != null) query.append("&attempt=").append(attempt);
            if (level != null) query.append("&level=").append(URLEncoder.encode(level, StandardCharsets.UTF_8));
            String path = "/api/v1/runs/" + ApiClient.segment(runId) + "/logs?";
            if (follow) {
                String[] status = {null};
                client.events(path + "follow=true" + query, (type, data) -> {
                    JsonNode json = parse(data);
                    if (type.equals("log")) printLine(json);
                    else if (type.equals("end")) status[0] = json.path("status").asText();
                });
                if (status[0] == null) throw new CliFailure("the log stream ended before the run did");
                if (!connection.json) {
                    out().println("Run " + runId + " ended " + status[0] + ".");
                    out().flush();
                }
                return TailCommand.COMPLETED.equals(status[0]) ? 0 : 1;
            }
            String after = "0";
            while (after != null) {
                JsonNode page = client.get(path + "page%5Bsize%5D=1000&page%5Bafter%5D=" + after + query);
                page.path("data").forEach(this::printLine);
                JsonNode next = page.path("pagination").path("next");
                after = next.isTextual() ? next.asText() : null;
            }
            return 0;
        }

        private static JsonNode parse(String data) {
            try {
                return ApiClient.JSON.readTree(data);
            } catch (IOException e) {
                throw new CliFailure("the node sent an event that is not JSON: " + data);
            }
        }

        /** One line as the node sent it with --json; else time, attempt, level, message, attributes, stack. */
        private void printLine(JsonNode line) {
            if (connection.json) {
                out().println(line.toString());
            } else {
                JsonNode attributes = line.path("attributes");
                out().println(String.join(
                        "  ",
                        line.path("timestamp").asText(),
                        "#" + line.path("attemptNumber").asText(),
                        String.format("%-5s", line.path("level").asText().toUpperCase(java.util.Locale.ROOT)),
                        line.path("message").asText()
                                + (attributes.isObject() && !attributes.isEmpty() ? "  " + attributes : "")));
                JsonNode error = line.path("error");
                if (error.isObject()) {
                    String trace = error.path("stackTrace").asText("");
                    out().println(
                                    trace.isEmpty()
                                            ? "    " + error.path("name").asText("Error") + ": "
                                                    + error.path("message").asText()
                                            : trace.strip().indent(4).stripTrailing());
                }
            }
            out().flush();
        }
    }
}
