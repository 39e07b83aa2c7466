package dev.baton.api.management;

import static akka.http.javadsl.server.Directives.concat;

import akka.actor.typed.ActorSystem;
import akka.http.javadsl.server.Route;
import com.typesafe.config.Config;
import dev.baton.api.auth.DashboardSessions;
import dev.baton.api.body.JsonBody;
import dev.baton.api.config.HttpSettings;
import dev.baton.engine.Engine;
import dev.baton.engine.environment.Accounts;
import dev.baton.engine.environment.ApiKeys;
import dev.baton.engine.environment.EnvironmentDirectory;
import dev.baton.engine.environment.EnvironmentSettingsStore;
import dev.baton.engine.environment.Projects;
import dev.baton.engine.ratelimit.TriggerRateLimits;
import java.time.Clock;

/**
 * The management API, for people and the {@code baton} CLI with a personal access token: who am I, tokens,
 * organizations, users, projects, environments and keys. docs/api.md lists the routes.
 */
public final class ManagementApi {

    private final Route route;

    public ManagementApi(
            ActorSystem<?> system,
            Engine engine,
            EnvironmentDirectory directory,
            DashboardSessions sessions,
            HttpSettings http,
            Clock clock) {
        Accounts accounts = new Accounts(directory);
        Projects projects = new Projects(directory);
        ManagementAccess access = new ManagementAccess(system, accounts, sessions);
        JsonBody jsonBody = new JsonBody(http.maxBodySize(), http.bodyReadTimeout());
        Config config = system.settings().config().getConfig("baton.http.management");
        ProjectRoutes.Settings settings = new ProjectRoutes.Settings(
                config.getDuration("rotation-overlap"),
                config.getDuration("max-rotation-overlap"),
                config.getDuration("cli-key-lifetime"));
        this.route = concat(
                new AccountRoutes(access, accounts, projects, jsonBody).routes(),
                new ProjectRoutes(
                                access,
                                projects,
                                new ApiKeys(directory),
                                jsonBody,
                                settings,
                                new EnvironmentSettingsStore(directory),
                                (environmentId, changed) -> {
                                    engine.applyEnvironmentSettings(environmentId, changed);
                                    TriggerRateLimits.applySettings(system, environmentId, changed);
                                },
                                clock)
                        .routes());
    }

    public Route route() {
        return route;
    }
}
