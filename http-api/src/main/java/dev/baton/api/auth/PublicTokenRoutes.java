package dev.baton.api.auth;

import static akka.http.javadsl.server.Directives.complete;
import static akka.http.javadsl.server.Directives.concat;
import static akka.http.javadsl.server.Directives.onSuccess;
import static akka.http.javadsl.server.Directives.path;
import static akka.http.javadsl.server.Directives.post;
import static akka.http.javadsl.server.PathMatchers.segment;

import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.api.body.JsonBody;
import dev.baton.api.config.HttpSettings;
import dev.baton.api.errors.ApiException;
import dev.baton.api.errors.ErrorHandling;
import dev.baton.api.json.Json;
import dev.baton.engine.environment.Environment;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The SDK's two ways to a public access token ({@code auth.createPublicToken}, {@code createTriggerPublicToken},
 * {@code createBatchTriggerPublicToken}):
 * <ul>
 *   <li>{@code POST /api/v1/auth/public-tokens} {@code {scopes, expirationTime?, oneTimeUse?, realtime?}} →
 *       {@code {token}}, signed by Baton; the SDK takes this path for keys of the form {@code tr_<env>_sk_<24>};</li>
 *   <li>{@code POST /api/v1/auth/jwt/claims}, the claims the SDK signs itself with any other key: refused with
 *       422, as Baton stores keys only as hashes and so could never verify such a token (docs/security.md).</li>
 * </ul>
 * Both take a secret key only.
 */
public final class PublicTokenRoutes {

    /** Trigger.dev's duration strings ({@code "15m"}, {@code "2 hours"}, {@code "1h from now"}, {@code "-5m"}). */
    private static final Pattern RELATIVE_TIME = Pattern.compile(
            "^([+-])? ?(\\d+|\\d+\\.\\d+) ?(seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|w|years?"
                    + "|yrs?|y)(?: (ago|from now))?$",
            Pattern.CASE_INSENSITIVE);

    static final String SELF_SIGNED_REFUSED = "Baton cannot verify a public access token signed with a secret key: it "
            + "stores keys only as SHA-256 hashes. Use a secret key of the form tr_<env>_sk_<24 letters or digits> "
            + "(create one with `./baton keys create`): with such a key the SDK asks Baton to sign the token "
            + "(POST /api/v1/auth/public-tokens) instead of signing it itself";

    /** {@code {"token": "…"}}, Trigger.dev's CreatePublicTokenResponseBody. */
    public record TokenResponse(String token) {}

    private final Authentication authentication;
    private final PublicAccessTokens tokens;
    private final JsonBody jsonBody;
    private final Clock clock;
    private final Duration defaultExpiresIn;
    private final Duration maxExpiresIn;

    /**
     * @param defaultExpiresIn the lifetime of a token minted without {@code expirationTime}
     * @param maxExpiresIn the longest lifetime a token may be minted with
     */
    public PublicTokenRoutes(
            Authentication authentication,
            PublicAccessTokens tokens,
            HttpSettings settings,
            Clock clock,
            Duration defaultExpiresIn,
            Duration maxExpiresIn) {
        this.authentication = authentication;
        this.tokens = tokens;
        this.jsonBody = new JsonBody(settings.maxBodySize(), settings.bodyReadTimeout());
        this.clock = clock;
        this.defaultExpiresIn = defaultExpiresIn;
        this.maxExpiresIn = maxExpiresIn;
    }

    public Route routes() {
        return concat(
                path(
                        segment("api").slash("v1").slash("auth").slash("public-tokens"),
                        () -> post(() -> authentication.authenticated(
                                environment -> jsonBody.json(body -> mint(environment, body))))),
                path(
                        segment("api").slash("v1").slash("auth").slash("jwt").slash("claims"),
                        () -> post(() -> authentication.authenticated(environment -> JsonBody.ignored(
                                () -> ErrorHandling.error(StatusCodes.UNPROCESSABLE_CONTENT, SELF_SIGNED_REFUSED))))));
    }

    private Route mint(Environment environment, JsonNode body) {
        if (!body.isObject()) throw ApiException.badRequest("The body must be a JSON object");
        List<String> scopes = scopes(body.get("scopes"));
        Instant now = clock.instant();
        Instant expiresAt = expiresAt(body.get("expirationTime"), now);
        boolean oneTimeUse = oneTimeUse(body.get("oneTimeUse"));
        JsonNode realtime = realtime(body.get("realtime"));
        return onSuccess(
                tokens.mint(environment.id(), scopes, expiresAt, oneTimeUse, realtime),
                token -> complete(Json.response(StatusCodes.OK, new TokenResponse(token))));
    }

    private static List<String> scopes(JsonNode scopes) {
        if (scopes == null || scopes.isNull()) throw ApiException.badRequest("scopes is required");
        if (!scopes.isArray()) throw ApiException.badRequest("scopes must be a list of strings");
        if (scopes.isEmpty()) {
            throw ApiException.badRequest(
                    "scopes must name at least one scope (a token without scopes grants nothing)");
        }
        List<String> parsed = new ArrayList<>();
        for (JsonNode scope : scopes) {
            if (!scope.isTextual()) throw ApiException.badRequest("scopes must be a list of strings");
            Scopes.invalid(scope.textValue()).ifPresent(reason -> {
                throw ApiException.badRequest("scopes: unknown scope " + reason);
            });
            parsed.add(scope.textValue());
        }
        return parsed;
    }

    /** A duration string (Trigger.dev's grammar) or a unix time in seconds; in the future and within the maximum. */
    private Instant expiresAt(JsonNode expirationTime, Instant now) {
        Instant expiresAt;
        if (expirationTime == null || expirationTime.isNull()) {
            expiresAt = now.plus(defaultExpiresIn);
        } else if (expirationTime.isNumber()) {
            if (!expirationTime.canConvertToLong()) throw invalidExpiry("is not a unix time in seconds");
            expiresAt = Instant.ofEpochSecond(expirationTime.asLong());
        } else if (expirationTime.isTextual()) {
            expiresAt = relative(expirationTime.textValue(), now);
        } else {
            throw invalidExpiry("must be a duration such as \"15m\" or a unix time in seconds");
        }
        if (!expiresAt.isAfter(now)) throw invalidExpiry("must be in the future");
        if (expiresAt.isAfter(now.plus(maxExpiresIn))) {
            throw invalidExpiry(
                    "must be at most " + maxExpiresIn.toString().substring(2).toLowerCase(Locale.ROOT) + " from now");
        }
        return expiresAt;
    }

    private static Instant relative(String text, Instant now) {
        Matcher match = RELATIVE_TIME.matcher(text);
        if (!match.matches() || (match.group(4) != null && match.group(1) != null)) {
            throw invalidExpiry("'" + text + "' is not a duration such as \"15m\", \"2 hours\" or \"1d\"");
        }
        double value = Double.parseDouble(match.group(2));
        String unit = match.group(3).toLowerCase(Locale.ROOT);
        long unitSeconds = switch (unit.charAt(0)) {
            case 's' -> 1;
            case 'm' -> 60;
            case 'h' -> 3600;
            case 'd' -> 86_400;
            case 'w' -> 7 * 86_400;
            default -> 31_557_600; // 365.25 days, as Trigger.dev counts a year
        };
        long seconds = Math.round(value * unitSeconds);
        boolean past = "-".equals(match.group(1)) || "ago".equalsIgnoreCase(match.group(4));
        return now.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).plusSeconds(past ? -seconds : seconds);
    }

    private static boolean oneTimeUse(JsonNode oneTimeUse) {
        if (oneTimeUse == null || oneTimeUse.isNull()) return false;
        if (!oneTimeUse.isBoolean()) throw ApiException.badRequest("oneTimeUse must be true or false");
        return oneTimeUse.booleanValue();
    }

    /**
     * Trigger.dev's realtime options ({@code {skipColumns?: string[]}}), carried in the token: its realtime
     * subscriptions leave those columns out in place of the request's {@code skipColumns}, as Trigger.dev's do.
     */
    private static JsonNode realtime(JsonNode realtime) {
        if (realtime == null || realtime.isNull()) return null;
        if (!realtime.isObject()) throw ApiException.badRequest("realtime must be an object {skipColumns?: string[]}");
        var fields = realtime.fieldNames();
        while (fields.hasNext()) {
            String field = fields.next();
            if (!field.equals("skipColumns")) {
                throw ApiException.badRequest("realtime." + field + " is not supported (only realtime.skipColumns)");
            }
        }
        JsonNode skipColumns = realtime.get("skipColumns");
        if (skipColumns != null && !skipColumns.isNull()) {
            if (!skipColumns.isArray()) throw ApiException.badRequest("realtime.skipColumns must be a list of strings");
            for (JsonNode column : skipColumns) {
                if (!column.isTextual())
                    throw ApiException.badRequest("realtime.skipColumns must be a list of strings");
            }
        }
        return realtime;
    }

    private static ApiException invalidExpiry(String reason) {
        return ApiException.badRequest("expirationTime " + reason);
    }
}
