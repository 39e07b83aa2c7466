package dev.baton.api.management;

import static akka.http.javadsl.server.Directives.concat;
import static akka.http.javadsl.server.Directives.delete;
import static akka.http.javadsl.server.Directives.extractUri;
import static akka.http.javadsl.server.Directives.get;
import static akka.http.javadsl.server.Directives.parameterOptional;
import static akka.http.javadsl.server.Directives.path;
import static akka.http.javadsl.server.Directives.pathEnd;
import static akka.http.javadsl.server.Directives.pathPrefix;
import static akka.http.javadsl.server.Directives.post;
import static akka.http.javadsl.server.PathMatchers.segment;

import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.model.Uri;
import akka.http.javadsl.server.Route;
import dev.baton.api.body.JsonBody;
import dev.baton.api.errors.ApiException;
import dev.baton.engine.environment.Accounts;
import dev.baton.engine.environment.Accounts.User;
import dev.baton.engine.environment.Projects;
import java.util.Optional;
import java.util.Set;

/**
 * Who the caller is ({@code GET /api/v2/whoami}, as the Trigger.dev CLI asks), its personal access tokens, its
 * organizations and their members, and (for admins) new users.
 */
final class AccountRoutes {

    private static final int MAX_NAME_LENGTH = 255;

    private final ManagementAccess access;
    private final Accounts accounts;
    private final Projects projects;
    private final JsonBody jsonBody;

    AccountRoutes(ManagementAccess access, Accounts accounts, Projects projects, JsonBody jsonBody) {
        this.access = access;
        this.accounts = accounts;
        this.projects = projects;
        this.jsonBody = jsonBody;
    }

    Route routes() {
        return concat(
                path(
                        segment("api").slash("v2").slash("whoami"),
                        () -> get(() -> parameterOptional(
                                "projectRef",
                                projectRef -> extractUri(uri -> access.user(user ->
                                        access.blocking(() -> whoAmI(user, projectRef, uri), ManagementAccess::ok)))))),
                pathPrefix(segment("api").slash("v1").slash("personal-access-tokens"), this::tokenRoutes),
                pathPrefix(segment("api").slash("v1").slash("orgs"), this::organizationRoutes),
                path(
                        segment("api").slash("v1").slash("users"),
                        () -> post(() -> access.user(user -> jsonBody.json(
                                body -> access.blocking(() -> createUser(user, body), ManagementAccess::created))))));
    }

    private Route tokenRoutes() {
        return concat(
                pathEnd(() -> concat(
                        get(() -> access.user(user -> access.blocking(
                                () -> new ManagementWire.Page<>(accounts.tokens(user).stream()
                                        .map(token -> ManagementWire.token(token, null))
                                        .toList()),
                                ManagementAccess::ok))),
                        post(() -> access.user(user -> jsonBody.optionalJson(body -> access.blocking(
                                () -> {
                                    String name = ManagementAccess.optionalText(
                                                    ManagementAccess.only(body, Set.of("name")),
                                                    "name",
                                                    MAX_NAME_LENGTH)
                                            .orElse("personal access token");
                                    Accounts.IssuedToken issued = accounts.createToken(user, name);
                                    return ManagementWire.token(issued.token(), issued.secret());
                                },
                                ManagementAccess::created)))))),
                path(
                        segment(),
                        tokenId -> delete(() -> access.user(user -> access.blocking(
                                () -> accounts.revokeToken(user, tokenId)
                                        .map(token -> ManagementWire.token(token, null))
                                        .orElseThrow(() -> ManagementAccess.notFound("Personal access token")),
                                ManagementAccess::ok)))));
    }

    private Route organizationRoutes() {
        return concat(
                pathEnd(() -> concat(
                        get(() -> access.user(user -> access.blocking(
                                () -> projects.organizations(user).stream()
                                        .map(ManagementWire::organization)
                                        .toList(),
                                ManagementAccess::ok))),
                        post(() -> access.user(user -> jsonBody.json(body -> access.blocking(
                                () -> ManagementWire.organization(projects.createOrganization(
                                        user,
                                        ManagementAccess.requiredText(
                                                ManagementAccess.only(body, Set.of("title")),
                                                "title",
                                                MAX_NAME_LENGTH))),
                                ManagementAccess::created)))))),
                path(
                        segment().slash("members"),
                        organizationId -> post(() -> access.user(user -> jsonBody.json(body ->
                                access.blocking(() -> addMember(user, organizationId, body), ManagementAccess::ok))))));
    }

    private ManagementWire.WhoAmI whoAmI(User user, Optional<String> projectRef, Uri uri) {
        String dashboard = ProjectRoutes.baseUrl(uri);
        ManagementWire.WhoAmIProject project = projectRef
                .flatMap(ref -> projects.project(user, ref))
                .map(found -> new ManagementWire.WhoAmIProject(
                        found.name(), dashboard + "/projects/" + found.ref(), found.organizationName()))
                .orElse(null);
        return new ManagementWire.WhoAmI(user.id(), user.email(), dashboard, project);
    }

    private ManagementWire.User addMember(
            User user, String organizationId, com.fasterxml.jackson.databind.JsonNode body) {
        String email = ManagementAccess.requiredText(ManagementAccess.only(body, Set.of("email")), "email", 255);
        Projects.Organization organization = projects.organization(user, organizationId)
                .orElseThrow(() -> ManagementAccess.notFound("Organization"));
        User member =
                accounts.userByEmail(email).orElseThrow(() -> ManagementAccess.notFound("User with email " + email));
        projects.addMember(organization.id(), member);
        return ManagementWire.user(member);
    }

    /** An admin adds a person; the answer holds their first token, the only time it is shown. */
    private CreatedUser createUser(User caller, com.fasterxml.jackson.databind.JsonNode body) {
        if (!caller.admin()) {
            throw new ApiException(StatusCodes.FORBIDDEN, "Only an admin may create users");
        }
        ManagementAccess.only(body, Set.of("email", "name"));
        String email = ManagementAccess.requiredText(body, "email", MAX_NAME_LENGTH);
        if (!email.matches("[^@\\s]+@[^@\\s]+\\.[^@\\s]+")) {
            throw ApiException.badRequest("'email' must be an email address");
        }
        if (accounts.userByEmail(email).isPresent()) {
            throw new ApiException(StatusCodes.CONFLICT, "A user with email " + email + " exists");
        }
        String name =
                ManagementAccess.optionalText(body, "name", MAX_NAME_LENGTH).orElse(email);
        User user = accounts.ensureUser(email, name, false);
        Accounts.IssuedToken token = accounts.createToken(user, "first token");
        return new CreatedUser(ManagementWire.user(user), ManagementWire.token(token.token(), token.secret()));
    }

    record CreatedUser(ManagementWire.User user, ManagementWire.Token token) {}
}
