package dev.baton.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Projects, and their environments. */
final class ProjectCommands {

    private ProjectCommands() {}

    @Command(
            name = "projects",
            description = "Projects of your organizations.",
            subcommands = {Projects.List.class, Projects.Create.class})
    static final class Projects {

        @Mixin
        HelpOption help;

        @Command(name = "list", description = "List the projects you can see.")
        static final class List extends ApiCommand {
            @Override
            int run() {
                JsonNode projects = client().get("/api/v1/projects");
                print(projects, table(projects));
                return 0;
            }
        }

        @Command(name = "create", description = "Create a project (with dev, staging, prod and preview environments).")
        static final class Create extends ApiCommand {

            @Option(
                    names = "--org",
                    required = true,
                    paramLabel = "<orgId>",
                    description = "The organization (see `baton orgs list`).")
            String organizationId;

            @Parameters(paramLabel = "<name>", description = "The project's name.")
            String name;

            @Override
            int run() {
                ObjectNode body = ApiClient.JSON.createObjectNode().put("name", name);
                JsonNode project =
                        client().post("/api/v1/orgs/" + ApiClient.segment(organizationId) + "/projects", body);
                print(project, table(ApiClient.JSON.createArrayNode().add(project)));
                return 0;
            }
        }

        private static Table table(JsonNode projects) {
            Table table = Table.of("REF", "NAME", "SLUG", "ORGANIZATION", "CREATED");
            for (JsonNode project : projects) {
                table.row(
                        Table.cell(project, "externalRef"),
                        Table.cell(project, "name"),
                        Table.cell(project, "slug"),
                        Table.cell(project.path("organization"), "title"),
                        Table.cell(project, "createdAt"));
            }
            return table;
        }
    }

    @Command(
            name = "envs",
            description = "A project's environments.",
            subcommands = {Environments.List.class})
    static final class Environments {

        @Mixin
        HelpOption help;

        @Command(name = "list", description = "List a project's environments.")
        static final class List extends ApiCommand {

            @Option(
                    names = "--project",
                    paramLabel = "<ref>",
                    description = "Project ref (else BATON_PROJECT, the config file).")
            String project;

            private final EnvironmentOptions named = new EnvironmentOptions();

            @Override
            EnvironmentOptions environmentOptions() {
                named.project = project;
                return named;
            }

            @Override
            int run() {
                JsonNode environments =
                        client().get("/api/v1/projects/" + ApiClient.segment(projectRef()) + "/environments");
                Table table = Table.of("ID", "SLUG", "TYPE", "PAUSED");
                for (JsonNode environment : environments) {
                    table.row(
                            Table.cell(environment, "id"),
                            Table.cell(environment, "slug"),
                            Table.cell(environment, "type"),
                            Table.cell(environment, "paused"));
                }
                print(environments, table);
                return 0;
            }
        }
    }
}
