package dev.baton.api.waitpoints;

import static akka.http.javadsl.server.Directives.complete;
import static akka.http.javadsl.server.Directives.concat;
import static akka.http.javadsl.server.Directives.extractMaterializer;
import static akka.http.javadsl.server.Directives.extractRequestEntity;
import static akka.http.javadsl.server.Directives.extractUri;
import static akka.http.javadsl.server.Directives.get;
import static akka.http.javadsl.server.Directives.onSuccess;
import static akka.http.javadsl.server.Directives.parameterMultiMap;
import static akka.http.javadsl.server.Directives.path;
import static akka.http.javadsl.server.Directives.post;
import static akka.http.javadsl.server.PathMatchers.segment;

import akka.actor.typed.ActorSystem;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.model.Uri;
import akka.http.javadsl.server.Route;
import akka.util.ByteString;
import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.api.auth.Authentication;
import dev.baton.api.auth.EnvironmentSecrets;
import dev.baton.api.auth.PublicAccessTokens;
import dev.baton.api.auth.Scopes;
import dev.baton.api.auth.Scopes.Resource;
import dev.baton.api.body.BoundedBody;
import dev.baton.api.body.JsonBody;
import dev.baton.api.config.HttpSettings;
import dev.baton.api.errors.ApiException;
import dev.baton.api.errors.ErrorHandling;
import dev.baton.api.json.Json;
import dev.baton.api.waitpoints.TokenResponses.CreateTokenResponse;
import dev.baton.api.waitpoints.TokenResponses.SuccessResponse;
import dev.baton.engine.Engine;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.waitpoint.WaitpointTokens;
import dev.baton.projections.waitpoints.TokenList;
import java.io.IOException;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * Waitpoint tokens, as Trigger.dev's {@code wait.createToken}, {@code listTokens}, {@code retrieveToken} and
 * {@code completeToken} call them, and the token's callback URL:
 * <ul>
 *   <li>{@code POST /api/v1/waitpoints/tokens} → {@code {id, isCached, url}} (body at most 10 KB), with a public
 *       access token scoped {@code write:waitpoints:<id>} in {@code x-trigger-jwt};</li>
 *   <li>{@code GET /api/v1/waitpoints/tokens} → a cursor page, from the token index (eventually consistent);</li>
 *   <li>{@code GET /api/v1/waitpoints/tokens/{id}} → the token and its output;</li>
 *   <li>{@code POST /api/v1/waitpoints/tokens/{id}/complete} {@code {data?}} → {@code {success: true}}, also for a
 *       token already completed or timed out (which keeps its outcome); the only call here that also takes a public
 *       access token, scoped {@code write:waitpoints:<id>} (or broader);</li>
 *   <li>{@code POST /api/v1/waitpoints/tokens/{id}/callback/{hash}}, without a key: the hash authenticates, the raw
 *       body is the data (a body that is not JSON completes with {@code {}}, as Trigger.dev does); a wrong hash is
 *       401, an unknown token 404.</li>
 * </ul>
 * A token of another environment is the same 404 as an unknown one. The callback URL's base is
 * {@code baton.http.public-url} when set, else the scheme and Host of the request that asked for it.
 */
public final class WaitpointRoutes {

    private final WaitpointTokens tokens;
    private final TokenList tokenList;
    private final Authentication authentication;
    private final HttpSettings settings;
    private final WaitpointSettings waitpoints;
    private final TokenRequests requests;
    private final JsonBody createBody;
    private final JsonBody completeBody;
    private final Clock clock;
    private final PublicAccessTokens accessTokens;

    /** @param secrets the environments' server secrets, which sign the public access token a create answers with */
    public WaitpointRoutes(
            ActorSystem<?> system,
            Engine engine,
            TokenList tokenList,
            Authentication authentication,
            HttpSettings settings,
            EnvironmentSecrets secrets,
            Clock clock) {
        this.tokens = engine.tokens();
        this.clock = clock;
        this.tokenList = tokenList;
        this.authentication = authentication;
        this.settings = settings;
        this.waitpoints = WaitpointSettings.fromConfig(system.settings().config());
        this.requests = new TokenRequests(settings);
        this.createBody = new JsonBody(waitpoints.maxCreateBodySize(), settings.bodyReadTimeout());
        this.completeBody = new JsonBody(settings.maxBodySize(), settings.bodyReadTimeout());
        this.accessTokens = new PublicAccessTokens(secrets, clock, waitpoints.accessTokenExpiresIn());
    }

    public Route routes() {
        return concat(
                path(
                        segment("api").slash("v1").slash("waitpoints").slash("tokens"),
                        () -> concat(
                                post(() -> authentication.authenticated(environment -> baseUrl(
                                        base -> createBody.optionalJson(body -> create(environment, body, base))))),
                                get(() -> authentication.authenticated(environment ->
                                        baseUrl(base -> parameterMultiMap(query -> list(environment, query, base))))))),
                path(
                        segment("api")
                                .slash("v1")
                                .slash("waitpoints")
                                .slash("tokens")
                                .slash(segment()),
                        tokenId -> get(() -> authentication.authenticated(
                                environment -> baseUrl(base -> retrieve(environment, tokenId, base))))),
                path(
                        segment("api")
                                .slash("v1")
                                .slash("waitpoints")
                                .slash("tokens")
                                .slash(segment())
                                .slash("complete"),
                        tokenId -> post(() -> authentication.caller(caller -> {
                            // The token create answers with (x-trigger-jwt) is scoped write:waitpoints:<id>.
                            if (!caller.mayAny(Scopes.WRITE, List.of(Resource.of(Scopes.WAITPOINTS, tokenId)))) {
                                throw Authentication.forbidden();
                            }
                            return completeBody.optionalJson(
                                    body -> completeToken(caller.environment(), tokenId, body));
                        }))),
                path(
                        segment("api")
                                .slash("v1")
                                .slash("waitpoints")
                                .slash("tokens")
                                .slash(segment())
                                .slash("callback")
                                .slash(segment()),
                        (tokenId, hash) -> post(() -> rawBody(body -> callback(tokenId, hash, body)))));
    }

    private Route create(Environment environment, JsonNode body, String baseUrl) {
        WaitpointTokens.CreateRequest request = requests.create(body, clock.instant());
        CompletionStage<HttpResponse> answer = tokens.create(environment.id(), request)
                .thenCompose(created -> {
                    String tokenId = created.token().tokenId();
                    CreateTokenResponse answered = new CreateTokenResponse(
                            tokenId,
                            created.cached(),
                            TokenResponses.callbackUrl(
                                    baseUrl, tokenId, created.token().spec().callbackHash()));
                    return accessTokens
                            .forWaitpoint(environment.id(), tokenId)
                            .thenApply(headers -> Json.response(StatusCodes.OK, answered, headers));
                });
        return onSuccess(answer, response -> complete(response));
    }

    private Route list(Environment environment, Map<String, List<String>> query, String baseUrl) {
        TokenRequests.ListQuery decoded = requests.list(query);
        return onSuccess(
                tokenList.list(environment.id(), decoded.filter(), decoded.page()),
                page -> complete(Json.response(StatusCodes.OK, TokenResponses.page(page, baseUrl))));
    }

    private Route retrieve(Environment environment, String tokenId, String baseUrl) {
        return ifFound(
                tokens.get(environment.id(), tokenId),
                token -> complete(Json.response(StatusCodes.OK, TokenResponses.retrieved(token, baseUrl))));
    }

    private Route completeToken(Environment environment, String tokenId, JsonNode body) {
        String data = TokenRequests.completionData(body);
        return ifFound(
                tokens.complete(environment.id(), tokenId, data),
                token -> complete(Json.response(StatusCodes.OK, new SuccessResponse(true))));
    }

    private Route callback(String tokenId, String hash, ByteString body) {
        return onSuccess(tokens.completeByCallback(tokenId, hash, callbackData(body)), outcome -> switch (outcome) {
            case COMPLETED -> complete(Json.response(StatusCodes.OK, new SuccessResponse(true)));
            case INVALID_HASH -> ErrorHandling.error(StatusCodes.UNAUTHORIZED, "Invalid URL, hash doesn't match");
            case NOT_FOUND -> notFound();
        });
    }

    /** The callback's raw body as the token's data: JSON as sent; anything else (or nothing) is {@code {}}. */
    private static String callbackData(ByteString body) {
        try {
            return Json.write(Json.parse(body.toArray()));
        } catch (IOException e) {
            return "{}";
        }
    }

    /** The body, whatever its content type, bounded by max-body-size (413 beyond, from Content-Length when given). */
    private Route rawBody(Function<ByteString, Route> inner) {
        long max = settings.maxBodySize();
        return extractRequestEntity(entity -> {
            if (entity.getContentLengthOption().isPresent()
                    && entity.getContentLengthOption().getAsLong() > max) {
                throw tooLarge(max);
            }
            return extractMaterializer(materializer -> onSuccess(
                    BoundedBody.read(
                            entity, max, settings.bodyReadTimeout(), materializer, "request body", () -> tooLarge(max)),
                    inner::apply));
        });
    }

    private static ApiException tooLarge(long max) {
        return ApiException.tooLarge("Request body too large: the limit is " + max + " bytes");
    }

    /** The base of callback URLs: the configured public URL, else this request's scheme and authority. */
    private Route baseUrl(Function<String, Route> inner) {
        if (!waitpoints.publicUrl().isEmpty()) return inner.apply(waitpoints.publicUrl());
        return extractUri(uri -> inner.apply(origin(uri)));
    }

    static String origin(Uri uri) {
        String absolute = uri.toString();
        int authority = absolute.indexOf("://");
        if (authority < 0) return "";
        int path = absolute.indexOf('/', authority + 3);
        return path < 0 ? absolute : absolute.substring(0, path);
    }

    private static <T> Route ifFound(CompletionStage<Optional<T>> lookup, Function<T, Route> found) {
        return onSuccess(lookup, result -> result.map(found).orElseGet(WaitpointRoutes::notFound));
    }

    private static Route notFound() {
        return ErrorHandling.error(StatusCodes.NOT_FOUND, "Waitpoint not found");
    }
}
