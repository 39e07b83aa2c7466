package dev.baton.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** An environment's keys: secret keys (tr_…) for the API and worker tokens (bw_…) for workers. */
@Command(
        name = "keys",
        description = "An environment's secret keys and worker tokens.",
        subcommands = {
            KeyCommands.List.class,
            KeyCommands.Create.class,
            KeyCommands.Rotate.class,
            KeyCommands.Revoke.class
        })
final class KeyCommands {

    @Mixin
    HelpOption help;

    /** A key command: it needs the project and environment the key belongs to. */
    abstract static class KeyCommand extends ApiCommand {

        @Mixin
        EnvironmentOptions environment;

        @Override
        EnvironmentOptions environmentOptions() {
            return environment;
        }

        String keysPath() {
            return environmentPath() + "/keys";
        }
    }

    @Command(name = "list", description = "List the environment's keys, revoked and expired ones too.")
    static final class List extends KeyCommand {
        @Override
        int run() {
            JsonNode page = client().get(keysPath());
            print(page, table(page.path("data")));
            return 0;
        }
    }

    @Command(name = "create", description = "Create a key; its value is shown only once.")
    static final class Create extends KeyCommand {

        @Option(
                names = "--kind",
                paramLabel = "secret|worker",
                description = "secret (an API key, the default) or worker (a worker token).")
        String kind;

        @Option(names = "--name", paramLabel = "<name>", description = "What the key is for.")
        String name;

        @Option(
                names = "--expires-at",
                paramLabel = "<iso>",
                description = "When it stops working, e.g. 2027-01-01T00:00:00Z (default: never).")
        String expiresAt;

        @Override
        int run() {
            if (kind != null && !kind.equals("secret") && !kind.equals("worker")) {
                throw usage("--kind must be secret or worker, not " + kind);
            }
            ObjectNode body = ApiClient.JSON.createObjectNode();
            if (kind != null) body.put("kind", kind);
            if (name != null) body.put("name", name);
            if (expiresAt != null) body.put("expiresAt", expiresAt);
            JsonNode key = client().post(keysPath(), body);
            printIssued(this, key);
            return 0;
        }
    }

    @Command(
            name = "rotate",
            description = "Issue a key that replaces <keyId>; the old one keeps working for the overlap.")
    static final class Rotate extends KeyCommand {

        @Parameters(paramLabel = "<keyId>", description = "The key to replace.")
        String keyId;

        @Option(
                names = "--overlap",
                paramLabel = "<duration>",
                description = "How long the old key still works, e.g. 30s, 15m, 1h (default: the node's).")
        String overlap;

        @Override
        int run() {
            ObjectNode body = ApiClient.JSON.createObjectNode();
            if (overlap != null) body.put("overlap", overlap);
            JsonNode rotated = client().post(keysPath() + "/" + ApiClient.segment(keyId) + "/rotate", body);
            if (connection.json) {
                printJson(rotated);
                AccountCommands.warnShownOnce(this, "key");
                return 0;
            }
            printIssued(this, rotated.path("key"));
            JsonNode replaced = rotated.path("replaces");
            out().println("It replaces " + Table.cell(replaced, "id") + ", which works until "
                    + Table.cell(replaced, "expiresAt") + ".");
            out().flush();
            return 0;
        }
    }

    @Command(name = "revoke", description = "Revoke a key at once.")
    static final class Revoke extends KeyCommand {

        @Parameters(paramLabel = "<keyId>", description = "The key to revoke.")
        String keyId;

        @Override
        int run() {
            JsonNode key = client().delete(keysPath() + "/" + ApiClient.segment(keyId));
            print(key, table(ApiClient.JSON.createArrayNode().add(key)));
            return 0;
        }
    }

    /** A new key: the table, then the value on a line of its own, and the warning that it is shown only now. */
    private static void printIssued(ApiCommand command, JsonNode key) {
        if (command.connection.json) {
            command.printJson(key);
        } else {
            table(ApiClient.JSON.createArrayNode().add(key)).print(command.out());
            command.out().println();
            command.out().println(Table.cell(key, "key"));
            command.out().flush();
        }
        AccountCommands.warnShownOnce(command, "key");
    }

    private static Table table(JsonNode keys) {
        Table table = Table.of("ID", "KIND", "NAME", "PREFIX", "CREATED", "EXPIRES", "REVOKED", "LAST USED");
        for (JsonNode key : keys) {
            table.row(
                    Table.cell(key, "id"),
                    Table.cell(key, "kind"),
                    Table.cell(key, "name"),
                    Table.cell(key, "prefix"),
                    Table.cell(key, "createdAt"),
                    Table.cell(key, "expiresAt"),
                    Table.cell(key, "revokedAt"),
                    Table.cell(key, "lastUsedAt"));
        }
        return table;
    }
}
