package dev.baton.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Who the token belongs to, its organizations, and its personal access tokens. */
final class AccountCommands {

    private AccountCommands() {}

    @Command(name = "whoami", description = "Show the user the token belongs to.")
    static final class WhoAmI extends ApiCommand {

        @Override
        int run() {
            JsonNode me = client().get("/api/v2/whoami");
            print(
                    me,
                    Table.of("USER", "EMAIL", "URL")
                            .row(Table.cell(me, "userId"), Table.cell(me, "email"), Table.cell(me, "dashboardUrl")));
            return 0;
        }
    }

    @Command(
            name = "orgs",
            description = "Organizations you are a member of.",
            subcommands = {Orgs.List.class, Orgs.Create.class})
    static final class Orgs {

        @Mixin
        HelpOption help;

        @Command(name = "list", description = "List your organizations.")
        static final class List extends ApiCommand {
            @Override
            int run() {
                JsonNode orgs = client().get("/api/v1/orgs");
                print(orgs, table(orgs));
                return 0;
            }
        }

        @Command(name = "create", description = "Create an organization; you become its member.")
        static final class Create extends ApiCommand {

            @Parameters(paramLabel = "<title>", description = "The organization's title.")
            String title;

            @Override
            int run() {
                ObjectNode body = ApiClient.JSON.createObjectNode().put("title", title);
                JsonNode org = client().post("/api/v1/orgs", body);
                print(org, table(ApiClient.JSON.createArrayNode().add(org)));
                return 0;
            }
        }

        private static Table table(JsonNode orgs) {
            Table table = Table.of("ID", "TITLE", "SLUG", "CREATED");
            for (JsonNode org : orgs) {
                table.row(
                        Table.cell(org, "id"),
                        Table.cell(org, "title"),
                        Table.cell(org, "slug"),
                        Table.cell(org, "createdAt"));
            }
            return table;
        }
    }

    @Command(
            name = "tokens",
            description = "Your personal access tokens (tr_pat_…).",
            subcommands = {Tokens.List.class, Tokens.Create.class, Tokens.Revoke.class})
    static final class Tokens {

        @Mixin
        HelpOption help;

        @Command(name = "list", description = "List your personal access tokens.")
        static final class List extends ApiCommand {
            @Override
            int run() {
                JsonNode page = client().get("/api/v1/personal-access-tokens");
                print(page, table(page.path("data")));
                return 0;
            }
        }

        @Command(name = "create", description = "Create a personal access token; it is shown only once.")
        static final class Create extends ApiCommand {

            @Option(names = "--name", paramLabel = "<name>", description = "What the token is for.")
            String name;

            @Override
            int run() {
                ObjectNode body = ApiClient.JSON.createObjectNode();
                if (name != null) body.put("name", name);
                JsonNode token = client().post("/api/v1/personal-access-tokens", body);
                if (connection.json) {
                    printJson(token);
                } else {
                    table(ApiClient.JSON.createArrayNode().add(token)).print(out());
                    out().println();
                    out().println(Table.cell(token, "token"));
                    out().flush();
                }
                warnShownOnce(this, "token");
                return 0;
            }
        }

        @Command(name = "revoke", description = "Revoke one of your personal access tokens.")
        static final class Revoke extends ApiCommand {

            @Parameters(paramLabel = "<id>", description = "The token's id.")
            String id;

            @Override
            int run() {
                JsonNode token = client().delete("/api/v1/personal-access-tokens/" + ApiClient.segment(id));
                print(token, table(ApiClient.JSON.createArrayNode().add(token)));
                return 0;
            }
        }

        private static Table table(JsonNode tokens) {
            Table table = Table.of("ID", "NAME", "PREFIX", "CREATED", "LAST USED");
            for (JsonNode token : tokens) {
                table.row(
                        Table.cell(token, "id"),
                        Table.cell(token, "name"),
                        Table.cell(token, "prefix"),
                        Table.cell(token, "createdAt"),
                        Table.cell(token, "lastUsedAt"));
            }
            return table;
        }
    }

    /** A secret the node keeps only as a hash: say on stderr that this is the one time it is shown. */
    static void warnShownOnce(ApiCommand command, String what) {
        command.err().println("baton: this " + what + " is shown only now; Baton keeps only its hash. Store it.");
        command.err().flush();
    }
}
