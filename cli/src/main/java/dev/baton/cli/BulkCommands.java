package dev.baton.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Bulk actions on runs ({@code /api/v1/bulk-actions}): cancel or replay the runs a filter or a list of ids selects,
 * in the background; show, list and abort actions. Registered under {@code runs}.
 */
final class BulkCommands {

    private BulkCommands() {}

    /** What a bulk cancel or replay selects, and whether to wait for it. */
    abstract static class Create extends RunCommands.RunCommand {

        @Option(
                names = "--status",
                split = ",",
                paramLabel = "<status>",
                description = "Only runs in these statuses, e.g. QUEUED,DELAYED.")
        java.util.List<String> statuses = new ArrayList<>();

        @Option(names = "--task", split = ",", paramLabel = "<taskId>", description = "Only runs of these tasks.")
        java.util.List<String> tasks = new ArrayList<>();

        @Option(names = "--tag", split = ",", paramLabel = "<tag>", description = "Only runs with one of these tags.")
        java.util.List<String> tags = new ArrayList<>();

        @Option(
                names = "--id",
                split = ",",
                paramLabel = "<runId>",
                description = "These runs (at most 500) instead of a filter.")
        java.util.List<String> runIds = new ArrayList<>();

        @Option(names = "--name", paramLabel = "<name>", description = "A name for the action.")
        String name;

        @Option(
                names = "--wait",
                description = "Wait until the action ends; exit code 0 if it completed, 1 if it was aborted.")
        boolean await;

        abstract String action();

        @Override
        int run() {
            boolean filtered = !statuses.isEmpty() || !tasks.isEmpty() || !tags.isEmpty();
            if (filtered == !runIds.isEmpty()) throw usage("Select runs with --status, --task or --tag, or with --id");
            ObjectNode body = ApiClient.JSON.createObjectNode().put("action", action());
            if (name != null) body.put("name", name);
            if (filtered) {
                ObjectNode filter = body.putObject("filter");
                addAll(filter, "status", statuses);
                addAll(filter, "taskIdentifier", tasks);
                addAll(filter, "tag", tags);
            } else {
                addAll(body, "runIds", runIds);
            }
            ApiClient client = environmentClient();
            String id = client.post("/api/v1/bulk-actions", body).path("id").asText();
            JsonNode action = client.get("/api/v1/bulk-actions/" + ApiClient.segment(id));
            while (await && action.path("status").asText().equals("PENDING")) {
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return 1;
                }
                action = client.get("/api/v1/bulk-actions/" + ApiClient.segment(id));
            }
            print(action, table(action));
            return await && !action.path("status").asText().equals("COMPLETED") ? 1 : 0;
        }

        private static void addAll(ObjectNode node, String field, java.util.List<String> values) {
            if (values.isEmpty()) return;
            ArrayNode array = node.putArray(field);
            values.forEach(array::add);
        }
    }

    @Command(
            name = "bulk-cancel",
            description = {
                "Cancel, in the background, the runs a filter or --id selects; finished runs count as failures.",
                "Prints the action; with --wait, once it has ended."
            })
    static final class Cancel extends Create {
        @Override
        String action() {
            return "cancel";
        }
    }

    @Command(
            name = "bulk-replay",
            description = {
                "Replay, in the background, the runs a filter or --id selects: one new run each.",
                "Prints the action; with --wait, once it has ended."
            })
    static final class Replay extends Create {
        @Override
        String action() {
            return "replay";
        }
    }

    @Command(name = "bulk-get", description = "Show a bulk action: type, status and counts.")
    static final class Get extends RunCommands.RunCommand {

        @Parameters(paramLabel = "<bulkActionId>")
        String id;

        @Override
        int run() {
            JsonNode action = environmentClient().get("/api/v1/bulk-actions/" + ApiClient.segment(id));
            print(action, table(action));
            return 0;
        }
    }

    @Command(name = "bulk-list", description = "List bulk actions, newest first.")
    static final class List extends RunCommands.RunCommand {

        @Option(names = "--limit", paramLabel = "<n>", description = "At most this many (default 25, at most 100).")
        Integer limit;

        @Override
        int run() {
            if (limit != null && limit < 1) throw usage("--limit must be at least 1");
            JsonNode page =
                    environmentClient().get("/api/v1/bulk-actions" + (limit == null ? "" : "?page%5Bsize%5D=" + limit));
            Table table = Table.of("ID", "TYPE", "STATUS", "TOTAL", "SUCCESS", "FAILURE", "CREATED", "NAME");
            for (JsonNode action : page.path("data")) row(table, action);
            print(page, table);
            return 0;
        }
    }

    @Command(name = "bulk-abort", description = "Stop a pending bulk action; runs it already processed stay so.")
    static final class Abort extends RunCommands.RunCommand {

        @Parameters(paramLabel = "<bulkActionId>")
        String id;

        @Override
        int run() {
            JsonNode answer =
                    environmentClient().post("/api/v1/bulk-actions/" + ApiClient.segment(id) + "/abort", null);
            print(answer, Table.of("ABORTED").row(Table.cell(answer, "id")));
            return 0;
        }
    }

    static Table table(JsonNode action) {
        return row(Table.of("ID", "TYPE", "STATUS", "TOTAL", "SUCCESS", "FAILURE", "CREATED", "NAME"), action);
    }

    private static Table row(Table table, JsonNode action) {
        JsonNode counts = action.path("counts");
        return table.row(
                Table.cell(action, "id"),
                Table.cell(action, "type"),
                Table.cell(action, "status"),
                Table.cell(counts, "total"),
                Table.cell(counts, "success"),
                Table.cell(counts, "failure"),
                Table.cell(action, "createdAt"),
                Table.cell(action, "name"));
    }
}
