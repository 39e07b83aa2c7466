package dev.baton.api.management;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.baton.api.json.Json;
import dev.baton.engine.environment.Accounts;
import dev.baton.engine.environment.ApiKeys.ApiKey;
import dev.baton.engine.environment.ApiKeys.IssuedKey;
import dev.baton.engine.environment.CredentialKind;
import dev.baton.engine.environment.EnvironmentSettings;
import dev.baton.engine.environment.EnvironmentType;
import dev.baton.engine.environment.Projects;
import java.util.Locale;

/** The management API's JSON shapes: Trigger.dev's where it has one (projects, environments, whoami). */
final class ManagementWire {

    private ManagementWire() {}

    record Organization(String id, String title, String slug, String createdAt) {}

    record Project(
            String id, String externalRef, String name, String slug, String createdAt, Organization organization) {}

    /**
     * Trigger.dev's ProjectEnvironment (its schema requires {@code branchName} even when null), and Baton's
     * {@code concurrencyLimit} override (absent: the node's default).
     */
    record Environment(
            String id,
            String slug,
            String type,
            boolean isBranchableEnvironment,
            @JsonInclude(JsonInclude.Include.ALWAYS) String branchName,
            boolean paused,
            Integer concurrencyLimit,
            RateLimit triggerRateLimit) {}

    /** An environment's own trigger rate limit: at most {@code burst} at once, {@code refill} per {@code interval}. */
    record RateLimit(long burst, long refill, String interval) {}

    /** {@code key}: the plain value, present only in the answer that created it. */
    record Key(
            String id,
            String kind,
            String name,
            String prefix,
            String createdAt,
            String expiresAt,
            String revokedAt,
            String lastUsedAt,
            String key) {}

    record User(String id, String email, String name, boolean admin) {}

    record Token(String id, String name, String prefix, String createdAt, String lastUsedAt, String token) {}

    record WhoAmI(String userId, String email, String dashboardUrl, WhoAmIProject project) {}

    record WhoAmIProject(String name, String url, String orgTitle) {}

    /** Trigger.dev's GetProjectEnvResponse, what its CLI asks for before it talks to an environment. */
    record ProjectEnv(String apiKey, String name, String apiUrl, String projectId) {}

    record Page<T>(java.util.List<T> data) {}

    static Organization organization(Projects.Organization organization) {
        return new Organization(
                organization.id(),
                organization.name(),
                slug(organization.name()),
                Json.timestamp(organization.createdAt()));
    }

    static Project project(Projects.Project project) {
        return new Project(
                project.id(),
                project.ref(),
                project.name(),
                slug(project.name()),
                Json.timestamp(project.createdAt()),
                new Organization(
                        project.organizationId(), project.organizationName(), slug(project.organizationName()), null));
    }

    static Environment environment(Projects.ProjectEnvironment environment, EnvironmentSettings settings) {
        return new Environment(
                environment.environment().id(),
                environment.environment().slug(),
                environment.type().name(),
                environment.type() == EnvironmentType.PREVIEW,
                null,
                settings.paused(),
                settings.concurrencyLimit(),
                settings.triggerRateLimit() == null
                        ? null
                        : new RateLimit(
                                settings.triggerRateLimit().burst(),
                                settings.triggerRateLimit().refill(),
                                dev.baton.engine.common.Durations.format(
                                        settings.triggerRateLimit().interval())));
    }

    static Key key(ApiKey key) {
        return key(key, null);
    }

    static Key key(IssuedKey issued) {
        return key(issued.key(), issued.secret());
    }

    private static Key key(ApiKey key, String secret) {
        return new Key(
                key.id(),
                kindName(key.kind()),
                key.name(),
                key.prefix(),
                Json.timestamp(key.createdAt()),
                Json.timestamp(key.expiresAt()),
                Json.timestamp(key.revokedAt()),
                Json.timestamp(key.lastUsedAt()),
                secret);
    }

    static String kindName(CredentialKind kind) {
        return kind == CredentialKind.SECRET_KEY ? "secret" : "worker";
    }

    static User user(Accounts.User user) {
        return new User(user.id(), user.email(), user.name(), user.admin());
    }

    static Token token(Accounts.PersonalAccessToken token, String secret) {
        return new Token(
                token.id(),
                token.name(),
                token.prefix(),
                Json.timestamp(token.createdAt()),
                Json.timestamp(token.lastUsedAt()),
                secret);
    }

    static String slug(String name) {
        String slug =
                name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("(^-|-$)", "");
        return slug.isEmpty() ? "project" : slug;
    }
}
