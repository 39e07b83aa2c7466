package dev.baton.api.management;

import static akka.http.javadsl.server.Directives.concat;
import static akka.http.javadsl.server.Directives.delete;
import static akka.http.javadsl.server.Directives.extractUri;
import static akka.http.javadsl.server.Directives.get;
import static akka.http.javadsl.server.Directives.patch;
import static akka.http.javadsl.server.Directives.path;
import static akka.http.javadsl.server.Directives.pathEnd;
import static akka.http.javadsl.server.Directives.pathPrefix;
import static akka.http.javadsl.server.Directives.post;
import static akka.http.javadsl.server.PathMatchers.segment;

import akka.http.javadsl.model.Uri;
import akka.http.javadsl.server.Route;
import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.api.body.JsonBody;
import dev.baton.api.errors.ApiException;
import dev.baton.engine.common.Durations;
import dev.baton.engine.environment.Accounts.User;
import dev.baton.engine.environment.ApiKeys;
import dev.baton.engine.environment.CredentialKind;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.environment.EnvironmentSettings;
import dev.baton.engine.environment.EnvironmentSettings.TriggerRateLimit;
import dev.baton.engine.environment.EnvironmentSettingsStore;
import dev.baton.engine.environment.Projects;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;

/**
 * Projects, their environments, and the environments' keys, for members of the project's organization:
 * {@code /api/v1/projects…} and {@code /api/v1/orgs/{id}/projects}; an environment's overrides (concurrency limit,
 * paused). Also Trigger.dev's
 * {@code GET /api/v1/projects/{ref}/{env}}, which its CLI calls to get a key for an environment: Baton keeps only
 * hashes, so it answers with a new key that expires after {@code cliKeyLifetime}.
 */
final class ProjectRoutes {

    /** The names an environment goes by in a path; anything else passes on to other routes. */
    private static final Pattern ENVIRONMENT_NAME =
            Pattern.compile("(?i)dev|development|local|stg|staging|prod|production|preview");

    private static final int MAX_NAME_LENGTH = 255;

    /** Management settings from {@code baton.http.management}. */
    record Settings(Duration defaultRotationOverlap, Duration maxRotationOverlap, Duration cliKeyLifetime) {}

    private final ManagementAccess access;
    private final Projects projects;
    private final ApiKeys keys;
    private final JsonBody jsonBody;
    private final Settings settings;
    private final EnvironmentSettingsStore environmentSettings;
    private final BiConsumer<String, EnvironmentSettings> settingsChanged;
    private final Clock clock;

    ProjectRoutes(
            ManagementAccess access,
            Projects projects,
            ApiKeys keys,
            JsonBody jsonBody,
            Settings settings,
            EnvironmentSettingsStore environmentSettings,
            BiConsumer<String, EnvironmentSettings> settingsChanged,
            Clock clock) {
        this.access = access;
        this.projects = projects;
        this.keys = keys;
        this.jsonBody = jsonBody;
        this.settings = settings;
        this.environmentSettings = environmentSettings;
        this.settingsChanged = settingsChanged;
        this.clock = clock;
    }

    Route routes() {
        return concat(
                path(
                        segment("api")
                                .slash("v1")
                                .slash("orgs")
                                .slash(segment())
                                .slash("projects"),
                        organizationId -> post(() -> access.user(user -> jsonBody.json(body -> access.blocking(
                                () -> createProject(user, organizationId, body), ManagementAccess::created))))),
                pathPrefix(
                        segment("api").slash("v1").slash("projects"),
                        () -> concat(
                                pathEnd(() -> get(() -> access.user(user -> access.blocking(
                                        () -> projects.projects(user).stream()
                                                .map(ManagementWire::project)
                                                .toList(),
                                        ManagementAccess::ok)))),
                                pathPrefix(segment(), this::projectRoutes))));
    }

    private Route projectRoutes(String ref) {
        return concat(
                pathEnd(() -> get(() -> access.user(user ->
                        access.blocking(() -> ManagementWire.project(project(user, ref)), ManagementAccess::ok)))),
                path(
                        segment("environments"),
                        () -> get(() -> access.user(user -> access.blocking(
                                () -> projects.environments(project(user, ref)).stream()
                                        .map(this::environmentWire)
                                        .toList(),
                                ManagementAccess::ok)))),
                pathPrefix(segment("environments").slash(segment()).slash("keys"), name -> keyRoutes(ref, name)),
                path(
                        segment("environments").slash(segment()),
                        name -> patch(() -> access.user(user -> jsonBody.json(body -> access.blocking(
                                () -> updateEnvironment(user, ref, name, body), ManagementAccess::ok))))),
                path(
                        segment(ENVIRONMENT_NAME),
                        name -> get(() -> extractUri(uri -> access.user(user -> access.blocking(
                                () -> cliEnvironmentKey(user, ref, name, uri), ManagementAccess::ok))))));
    }

    private Route keyRoutes(String ref, String environmentName) {
        return concat(
                pathEnd(() -> concat(
                        get(() -> access.user(user -> access.blocking(
                                () -> new ManagementWire.Page<>(
                                        keys.list(environment(user, ref, environmentName)).stream()
                                                .map(ManagementWire::key)
                                                .toList()),
                                ManagementAccess::ok))),
                        post(() -> access.user(user -> jsonBody.optionalJson(body -> access.blocking(
                                () -> createKey(environment(user, ref, environmentName), body),
                                ManagementAccess::created)))))),
                path(
                        segment(),
                        keyId -> delete(() -> access.user(user -> access.blocking(
                                () -> ManagementWire.key(keys.revoke(environment(user, ref, environmentName), keyId)
                                        .orElseThrow(() -> ManagementAccess.notFound("Key"))),
                                ManagementAccess::ok)))),
                path(
                        segment().slash("rotate"),
                        keyId -> post(() -> access.user(user -> jsonBody.optionalJson(body -> access.blocking(
                                () -> rotate(environment(user, ref, environmentName), keyId, body),
                                ManagementAccess::created))))));
    }

    /**
     * Changes an environment's overrides and tells its dispatcher, wherever it lives: {@code concurrencyLimit} (a
     * positive number, or null for the node's default) and {@code paused} (queued runs wait; running ones finish).
     */
    private ManagementWire.Environment updateEnvironment(User user, String ref, String name, JsonNode body) {
        ManagementAccess.only(body, Set.of("concurrencyLimit", "paused", "triggerRateLimit"));
        Environment environment = environment(user, ref, name);
        EnvironmentSettings current = environmentSettings.load(environment.id());
        Integer limit = current.concurrencyLimit();
        if (body.has("concurrencyLimit")) {
            JsonNode value = body.get("concurrencyLimit");
            if (value.isNull()) {
                limit = null;
            } else if (value.canConvertToInt() && value.isIntegralNumber() && value.intValue() >= 1) {
                limit = value.intValue();
            } else {
                throw ApiException.badRequest("'concurrencyLimit' must be a positive whole number or null");
            }
        }
        boolean paused = current.paused();
        if (body.has("paused")) {
            if (!body.get("paused").isBoolean()) throw ApiException.badRequest("'paused' must be true or false");
            paused = body.get("paused").booleanValue();
        }
        TriggerRateLimit rate = body.has("triggerRateLimit")
                ? triggerRateLimit(body.get("triggerRateLimit"))
                : current.triggerRateLimit();
        EnvironmentSettings updated = new EnvironmentSettings(limit, rate, paused);
        environmentSettings.save(environment.id(), updated);
        settingsChanged.accept(environment.id(), updated);
        return projects.environments(project(user, ref)).stream()
                .filter(candidate -> candidate.environment().id().equals(environment.id()))
                .map(this::environmentWire)
                .findFirst()
                .orElseThrow();
    }

    /** {@code {burst, refill, interval}} (a token bucket), or null for the node's {@code baton.http.rate-limit}. */
    private static TriggerRateLimit triggerRateLimit(JsonNode value) {
        if (value.isNull()) return null;
        if (!value.isObject()) {
            throw ApiException.badRequest("'triggerRateLimit' must be {burst, refill, interval} or null");
        }
        ManagementAccess.only(value, Set.of("burst", "refill", "interval"));
        long burst = positiveNumber(value, "burst");
        long refill = positiveNumber(value, "refill");
        Duration interval = ManagementAccess.optionalText(value, "interval", 32)
                .flatMap(Durations::parseDuration)
                .filter(parsed -> !parsed.isZero() && !parsed.isNegative())
                .orElseThrow(() ->
                        ApiException.badRequest("'triggerRateLimit.interval' must be a duration such as 1s or 1m"));
        return new TriggerRateLimit(burst, refill, interval);
    }

    private static long positiveNumber(JsonNode object, String field) {
        JsonNode value = object.get(field);
        if (value == null || !value.isIntegralNumber() || !value.canConvertToLong() || value.longValue() < 1) {
            throw ApiException.badRequest("'triggerRateLimit." + field + "' must be a positive whole number");
        }
        return value.longValue();
    }

    private ManagementWire.Environment environmentWire(Projects.ProjectEnvironment environment) {
        return ManagementWire.environment(
                environment, environmentSettings.load(environment.environment().id()));
    }

    private ManagementWire.Project createProject(User user, String organizationId, JsonNode body) {
        String name =
                ManagementAccess.requiredText(ManagementAccess.only(body, Set.of("name")), "name", MAX_NAME_LENGTH);
        Projects.Organization organization = projects.organization(user, organizationId)
                .orElseThrow(() -> ManagementAccess.notFound("Organization"));
        return ManagementWire.project(projects.createProject(organization, name));
    }

    private ManagementWire.Key createKey(Environment environment, JsonNode body) {
        ManagementAccess.only(body, Set.of("kind", "name", "expiresAt"));
        CredentialKind kind = ManagementAccess.optionalText(body, "kind", 16)
                .map(ProjectRoutes::kind)
                .orElse(CredentialKind.SECRET_KEY);
        String name =
                ManagementAccess.optionalText(body, "name", MAX_NAME_LENGTH).orElse(kindLabel(kind));
        Instant expiresAt = ManagementAccess.optionalText(body, "expiresAt", 64)
                .map(text -> Durations.parseDate(text)
                        .orElseThrow(() -> ApiException.badRequest(
                                "'expiresAt' must be an ISO-8601 date, e.g. 2027-01-01T00:00:00Z")))
                .orElse(null);
        if (expiresAt != null && !expiresAt.isAfter(clock.instant())) {
            throw ApiException.unprocessable("'expiresAt' must be in the future");
        }
        return ManagementWire.key(keys.create(environment, kind, name, expiresAt));
    }

    private RotatedKey rotate(Environment environment, String keyId, JsonNode body) {
        ManagementAccess.only(body, Set.of("overlap"));
        Duration overlap = ManagementAccess.optionalText(body, "overlap", 32)
                .map(text -> Durations.parseDuration(text)
                        .orElseThrow(
                                () -> ApiException.badRequest("'overlap' must be a duration such as 30s, 15m or 24h")))
                .orElse(settings.defaultRotationOverlap());
        if (overlap.compareTo(settings.maxRotationOverlap()) > 0) {
            throw ApiException.unprocessable(
                    "'overlap' may be at most " + Durations.format(settings.maxRotationOverlap()));
        }
        ApiKeys.IssuedKey issued = keys.rotate(environment, keyId, overlap)
                .orElseThrow(() -> ManagementAccess.notFound("Live key " + keyId));
        ApiKeys.ApiKey replaced = keys.list(environment).stream()
                .filter(key -> key.id().equals(keyId))
                .findFirst()
                .orElseThrow();
        return new RotatedKey(ManagementWire.key(issued), ManagementWire.key(replaced));
    }

    /** The new key, and the one it replaces with the expiry the overlap gave it. */
    record RotatedKey(ManagementWire.Key key, ManagementWire.Key replaces) {}

    private ManagementWire.ProjectEnv cliEnvironmentKey(User user, String ref, String name, Uri uri) {
        Projects.Project project = project(user, ref);
        Environment environment = environment(user, ref, name);
        ApiKeys.IssuedKey issued = keys.create(
                environment,
                CredentialKind.SECRET_KEY,
                "trigger.dev CLI",
                clock.instant().plus(settings.cliKeyLifetime()));
        return new ManagementWire.ProjectEnv(issued.secret(), project.name(), baseUrl(uri), project.id());
    }

    private Projects.Project project(User user, String ref) {
        return projects.project(user, ref).orElseThrow(() -> ManagementAccess.notFound("Project " + ref));
    }

    private Environment environment(User user, String ref, String name) {
        return projects.environment(user, ref, name)
                .orElseThrow(() -> ManagementAccess.notFound("Environment " + name + " of project " + ref));
    }

    private static CredentialKind kind(String name) {
        return switch (name) {
            case "secret" -> CredentialKind.SECRET_KEY;
            case "worker" -> CredentialKind.WORKER_TOKEN;
            default -> throw ApiException.badRequest("'kind' must be secret or worker, not " + name);
        };
    }

    private static String kindLabel(CredentialKind kind) {
        return kind == CredentialKind.SECRET_KEY ? "secret key" : "worker token";
    }

    /** The address the caller reached this node by: what it should use for the calls that follow. */
    static String baseUrl(Uri uri) {
        return uri.scheme() + "://" + uri.host().address() + (uri.port() > 0 ? ":" + uri.port() : "");
    }
}
