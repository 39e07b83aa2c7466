package dev.baton.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** A command that talks to a node: connection options, the target they resolve to, and output helpers. */
abstract class ApiCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    HelpOption help;

    @Mixin
    ConnectionOptions connection;

    private Target target;

    @Override
    public final Integer call() {
        return run();
    }

    /** Does the command; its exit code (0 unless the command says otherwise). */
    abstract int run();

    Invocation invocation() {
        return ((BatonCli) spec.root().userObject()).invocation();
    }

    CliDefaults defaults() {
        return ((BatonCli) spec.root().userObject()).defaults();
    }

    /** The project and environment flags, when the command has them. */
    EnvironmentOptions environmentOptions() {
        return null;
    }

    Target target() {
        if (target == null) {
            EnvironmentOptions named = environmentOptions();
            target = Target.resolve(
                    invocation(),
                    defaults(),
                    connection.url,
                    connection.token,
                    named == null ? null : named.project,
                    named == null ? null : named.environment);
        }
        return target;
    }

    ApiClient client() {
        Target resolved = target();
        if (resolved.token() == null) {
            throw new CliFailure("no token: pass --token, set BATON_TOKEN, put token= in "
                    + Target.configPath(invocation()) + ", or start `./baton dev` here (it keeps one in "
                    + defaults().devDataDir() + "/" + Target.DEV_CREDENTIALS_FILE + ")");
        }
        return new ApiClient(
                resolved.url(),
                resolved.token(),
                defaults().connectTimeout(),
                defaults().requestTimeout());
    }

    String projectRef() {
        String project = target().project();
        if (project == null) throw usage("Missing the project: pass --project <ref> or set BATON_PROJECT");
        return project;
    }

    String environmentName() {
        String environment = target().environment();
        if (environment == null) throw usage("Missing the environment: pass --env <env> or set BATON_ENV");
        return environment;
    }

    /** The client for run routes, naming the project and environment by header. */
    ApiClient environmentClient() {
        String project = projectRef();
        String environment = environmentName();
        return client().inEnvironment(project, environment);
    }

    /** {@code /api/v1/projects/{ref}/environments/{env}}. */
    String environmentPath() {
        return "/api/v1/projects/" + ApiClient.segment(projectRef()) + "/environments/"
                + ApiClient.segment(environmentName());
    }

    ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    void printJson(JsonNode node) {
        try {
            out().println(ApiClient.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        out().flush();
    }

    /** The raw answer with --json, else the table. */
    void print(JsonNode answer, Table table) {
        if (connection.json) printJson(answer);
        else table.print(out());
    }
}
