package dev.baton.api.dashboard;

import static akka.http.javadsl.server.Directives.complete;
import static akka.http.javadsl.server.Directives.concat;
import static akka.http.javadsl.server.Directives.delete;
import static akka.http.javadsl.server.Directives.extractRequest;
import static akka.http.javadsl.server.Directives.extractUri;
import static akka.http.javadsl.server.Directives.get;
import static akka.http.javadsl.server.Directives.getFromResource;
import static akka.http.javadsl.server.Directives.getFromResourceDirectory;
import static akka.http.javadsl.server.Directives.onSuccess;
import static akka.http.javadsl.server.Directives.optionalCookie;
import static akka.http.javadsl.server.Directives.optionalHeaderValueByName;
import static akka.http.javadsl.server.Directives.path;
import static akka.http.javadsl.server.Directives.pathEndOrSingleSlash;
import static akka.http.javadsl.server.Directives.pathPrefix;
import static akka.http.javadsl.server.Directives.pathSingleSlash;
import static akka.http.javadsl.server.Directives.post;
import static akka.http.javadsl.server.Directives.respondWithHeaders;
import static akka.http.javadsl.server.PathMatchers.segment;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.DispatcherSelector;
import akka.http.javadsl.model.AttributeKeys;
import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.DateTime;
import akka.http.javadsl.model.HttpHeader;
import akka.http.javadsl.model.RemoteAddress;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.model.headers.CacheControl;
import akka.http.javadsl.model.headers.CacheDirectives;
import akka.http.javadsl.model.headers.HttpCookie;
import akka.http.javadsl.model.headers.RetryAfter;
import akka.http.javadsl.model.headers.SameSite;
import akka.http.javadsl.model.headers.SetCookie;
import akka.http.javadsl.server.Route;
import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.api.auth.DashboardSessions;
import dev.baton.api.auth.DashboardSessions.CredentialType;
import dev.baton.api.body.JsonBody;
import dev.baton.api.config.HttpSettings;
import dev.baton.api.errors.ApiException;
import dev.baton.api.errors.ErrorHandling;
import dev.baton.api.json.Json;
import dev.baton.engine.environment.Accounts;
import dev.baton.engine.environment.CredentialKind;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.environment.EnvironmentDirectory;
import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The web dashboard: its single page (index.html, for {@code /} and every client-side route — runs, workers,
 * schedules, tokens, batches, projects —, so each page has a URL
 * to share), its static assets from the classpath ({@code dashboard/assets}), and signing in and out
 * ({@code /dashboard/session}). The pages call the public and management APIs with the session's cookie.
 */
public final class DashboardRoutes {

    private static final String RESOURCES = "dashboard";
    private static final String INDEX = RESOURCES + "/index.html";
    static final String INVALID_CREDENTIAL = "Invalid or revoked secret key or personal access token";
    // The vendored libraries carry their version in their file name, so a browser may keep them for good; the
    // dashboard's own files and index.html change with each release under the same name: always revalidated.
    private static final HttpHeader REVALIDATE = CacheControl.create(CacheDirectives.NO_CACHE);
    private static final HttpHeader IMMUTABLE =
            CacheControl.create(CacheDirectives.PUBLIC, CacheDirectives.MAX_AGE(31_536_000), CacheDirectives.IMMUTABLE);

    private final DashboardSessions sessions;
    private final EnvironmentDirectory directory;
    private final Accounts accounts;
    private final JsonBody jsonBody;
    private final Executor blockingIo;
    private final SignInThrottle throttle;

    public DashboardRoutes(
            ActorSystem<?> system, DashboardSessions sessions, EnvironmentDirectory directory, HttpSettings http) {
        this.sessions = sessions;
        this.directory = directory;
        this.accounts = new Accounts(directory);
        this.jsonBody = new JsonBody(http.maxBodySize(), http.bodyReadTimeout());
        this.blockingIo = system.dispatchers().lookup(DispatcherSelector.blocking());
        this.throttle = SignInThrottle.fromConfig(system.settings().config());
    }

    public Route routes() {
        return concat(
                path(
                        segment("dashboard").slash("session"),
                        () -> concat(
                                get(this::current),
                                post(() ->
                                        csrf(() -> throttled(address -> jsonBody.json(body -> signIn(body, address))))),
                                delete(() -> csrf(this::signOut)))),
                pathPrefix(
                        "assets",
                        () -> get(() -> concat(
                                pathPrefix(
                                        "vendor",
                                        () -> respondWithHeaders(
                                                List.of(IMMUTABLE),
                                                () -> getFromResourceDirectory(RESOURCES + "/assets/vendor"))),
                                respondWithHeaders(
                                        List.of(REVALIDATE), () -> getFromResourceDirectory(RESOURCES + "/assets"))))),
                // The method is matched only once a page's path has: `get` cancels the 405 an API route earlier in
                // the chain raised for the same path, which would turn it into a 404.
                pathSingleSlash(this::index),
                pathPrefix("runs", () -> concat(pathEndOrSingleSlash(this::index), path(segment(), id -> index()))),
                path("analytics", this::index),
                pathPrefix("queues", () -> pathEndOrSingleSlash(this::index)),
                pathPrefix("batches", () -> concat(pathEndOrSingleSlash(this::index), path(segment(), id -> index()))),
                pathPrefix("workers", () -> pathEndOrSingleSlash(this::index)),
                pathPrefix("schedules", () -> pathEndOrSingleSlash(this::index)),
                pathPrefix("tokens", () -> pathEndOrSingleSlash(this::index)),
                pathPrefix("projects", () -> pathEndOrSingleSlash(this::index)),
                path("sign-in", this::index));
    }

    private Route index() {
        return get(() ->
                respondWithHeaders(List.of(REVALIDATE), () -> getFromResource(INDEX, ContentTypes.TEXT_HTML_UTF8)));
    }

    /** Signing in or out changes state: like every cookie request, it needs the header a cross-site form lacks. */
    private Route csrf(Supplier<Route> inner) {
        return optionalHeaderValueByName(
                DashboardSessions.CSRF_HEADER,
                header -> header.isPresent()
                        ? inner.get()
                        : ErrorHandling.error(
                                StatusCodes.FORBIDDEN,
                                "The dashboard's session calls need the header " + DashboardSessions.CSRF_HEADER
                                        + ": 1"));
    }

    /** Refuses an address whose failed sign-ins used up its allowance ({@link SignInThrottle}) with a 429. */
    private Route throttled(Function<String, Route> inner) {
        return extractRequest(request -> optionalHeaderValueByName("x-forwarded-for", forwarded -> {
            String address = throttle.useForwardedFor() && forwarded.isPresent()
                    ? forwarded.get().split(",")[0].strip()
                    : request.getAttribute(AttributeKeys.remoteAddress)
                            .flatMap(RemoteAddress::getAddress)
                            .map(InetAddress::getHostAddress)
                            .orElse("unknown");
            long retryAfter = throttle.retryAfterMillis(address, System.currentTimeMillis());
            if (retryAfter == 0) return inner.apply(address);
            return respondWithHeaders(
                    List.of(RetryAfter.create(Math.max(1, (retryAfter + 999) / 1000))),
                    () -> ErrorHandling.error(
                            StatusCodes.TOO_MANY_REQUESTS, "Too many failed sign-ins from this address; try later"));
        }));
    }

    private Route signIn(JsonNode body, String address) {
        if (!body.isObject()) throw ApiException.badRequest("Invalid body: expected {\"token\": \"…\"}");
        for (var names = body.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!name.equals("token")) throw ApiException.badRequest("Unknown field '" + name + "'; allowed: token");
        }
        JsonNode tokenNode = body.get("token");
        if (tokenNode == null || !tokenNode.isTextual() || tokenNode.asText().isBlank()) {
            throw ApiException.badRequest(
                    "token must be a secret key (tr_…_sk_…) or a personal access token (tr_pat_…)");
        }
        String token = tokenNode.asText().strip();
        CredentialType type = token.startsWith(Accounts.TOKEN_PREFIX)
                ? CredentialType.PERSONAL_ACCESS_TOKEN
                : CredentialType.SECRET_KEY;
        CompletionStage<Optional<Map<String, Object>>> described = CompletableFuture.supplyAsync(
                () -> describe(type, EnvironmentDirectory.credentialHash(token)), blockingIo);
        return onSuccess(described, found -> {
            if (found.isEmpty()) {
                throttle.failed(address, System.currentTimeMillis());
                return ErrorHandling.error(StatusCodes.UNAUTHORIZED, INVALID_CREDENTIAL);
            }
            return onSuccess(
                    sessions.open(type, token),
                    id -> extractUri(uri -> optionalHeaderValueByName("x-forwarded-proto", forwarded -> {
                        boolean https = uri.scheme().equals("https")
                                || forwarded
                                        .map(proto -> proto.equalsIgnoreCase("https"))
                                        .orElse(false);
                        HttpCookie cookie = HttpCookie.create(DashboardSessions.COOKIE, id)
                                .withPath("/")
                                .withHttpOnly(true)
                                .withSameSite(SameSite.Strict)
                                .withSecure(https)
                                .withMaxAge(sessions.lifetime().toSeconds());
                        return respondWithHeaders(
                                List.of(SetCookie.create(cookie)),
                                () -> complete(Json.response(StatusCodes.OK, found.get())));
                    })));
        });
    }

    /**
     * Who is signed in: {@code signedIn: false} (a 200, not a 401, so the page's first look does not log an error)
     * without a live session or when its credential was revoked since.
     */
    private Route current() {
        return sessions.fromCookie(session -> onSuccess(
                CompletableFuture.supplyAsync(
                        () -> session.flatMap(found -> describe(found.type(), found.credentialHash())), blockingIo),
                described ->
                        complete(Json.response(StatusCodes.OK, described.orElseGet(() -> Map.of("signedIn", false))))));
    }

    private Route signOut() {
        HttpCookie expired = HttpCookie.create(DashboardSessions.COOKIE, "")
                .withPath("/")
                .withHttpOnly(true)
                .withSameSite(SameSite.Strict)
                .withExpires(DateTime.create(1970, 1, 1, 0, 0, 0));
        return optionalCookie(
                DashboardSessions.COOKIE,
                cookie -> onSuccess(
                        cookie.map(found -> sessions.close(found.value()))
                                .orElseGet(() -> CompletableFuture.completedFuture(null)),
                        done -> respondWithHeaders(
                                List.of(SetCookie.create(expired)),
                                () -> complete(Json.response(StatusCodes.OK, Map.of("signedOut", true))))));
    }

    /** Who a credential (by its hash) is, for the page's header; empty when it opens nothing (any more). */
    private Optional<Map<String, Object>> describe(CredentialType type, String credentialHash) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("signedIn", true);
        return switch (type) {
            case SECRET_KEY ->
                directory
                        .authenticateHash(CredentialKind.SECRET_KEY, credentialHash)
                        .map(environment -> {
                            body.put("type", "secretKey");
                            body.put("environment", environment(environment));
                            return body;
                        });
            case PERSONAL_ACCESS_TOKEN ->
                accounts.authenticateHash(credentialHash).map(user -> {
                    body.put("type", "personalAccessToken");
                    body.put("user", Map.of("email", user.email(), "name", user.name() == null ? "" : user.name()));
                    return body;
                });
        };
    }

    private static Map<String, Object> environment(Environment environment) {
        return Map.of("id", environment.id(), "projectRef", environment.projectRef(), "slug", environment.slug());
    }
}
