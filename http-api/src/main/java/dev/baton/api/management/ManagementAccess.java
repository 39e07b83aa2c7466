package dev.baton.api.management;

import static akka.http.javadsl.server.Directives.onSuccess;
import static akka.http.javadsl.server.Directives.optionalHeaderValueByName;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.DispatcherSelector;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.api.auth.DashboardSessions;
import dev.baton.api.errors.ApiException;
import dev.baton.api.errors.ErrorHandling;
import dev.baton.engine.environment.Accounts;
import dev.baton.engine.environment.Accounts.User;
import java.util.Iterator;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What every management route shares: the caller is the user of a personal access token ({@code Authorization:
 * Bearer tr_pat_…}, or the cookie of a dashboard session opened with one), the directory is asked on the
 * blocking-IO dispatcher, and bodies name only known fields.
 */
final class ManagementAccess {

    private static final String BEARER = "bearer ";

    private final Accounts accounts;
    private final DashboardSessions sessions;
    private final Executor blockingIo;

    ManagementAccess(ActorSystem<?> system, Accounts accounts, DashboardSessions sessions) {
        this.accounts = accounts;
        this.sessions = sessions;
        this.blockingIo = system.dispatchers().lookup(DispatcherSelector.blocking());
    }

    Route user(Function<User, Route> inner) {
        return optionalHeaderValueByName("Authorization", header -> {
            Optional<String> token = header.filter(value -> value.regionMatches(true, 0, BEARER, 0, BEARER.length()))
                    .map(value -> value.substring(BEARER.length()).strip());
            if (header.isEmpty()) {
                // The dashboard's cookie, when its session was opened with a personal access token.
                return sessions.fromCookie(session -> session.filter(
                                found -> found.type() == DashboardSessions.CredentialType.PERSONAL_ACCESS_TOKEN)
                        .map(found -> blocking(
                                () -> accounts.authenticateHash(found.credentialHash()),
                                user -> user.map(inner).orElseGet(ManagementAccess::unauthorized)))
                        .orElseGet(ManagementAccess::unauthorized));
            }
            if (token.isEmpty() || !token.get().startsWith(Accounts.TOKEN_PREFIX)) return unauthorized();
            return blocking(
                    () -> accounts.authenticate(token.get()),
                    user -> user.map(inner).orElseGet(ManagementAccess::unauthorized));
        });
    }

    /** Runs a directory call off the routing threads; its ApiException becomes the answer. */
    <T> Route blocking(Supplier<T> call, Function<T, Route> inner) {
        return onSuccess(CompletableFuture.supplyAsync(call, blockingIo), inner);
    }

    static Route ok(Object body) {
        return akka.http.javadsl.server.Directives.complete(dev.baton.api.json.Json.response(StatusCodes.OK, body));
    }

    static Route created(Object body) {
        return akka.http.javadsl.server.Directives.complete(
                dev.baton.api.json.Json.response(StatusCodes.CREATED, body));
    }

    static Route unauthorized() {
        return ErrorHandling.error(
                StatusCodes.UNAUTHORIZED, "Invalid or missing personal access token (Authorization: Bearer tr_pat_…)");
    }

    /** Refuses a body that is not an object or names a field outside {@code allowed}; null is {@code {}}. */
    static JsonNode only(JsonNode body, Set<String> allowed) {
        if (body == null) return dev.baton.api.json.Json.mapper().createObjectNode();
        if (!body.isObject()) throw ApiException.badRequest("Invalid body: expected a JSON object");
        for (Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!allowed.contains(name)) {
                throw ApiException.badRequest("Unknown field '" + name + "'; allowed: " + String.join(", ", allowed));
            }
        }
        return body;
    }

    /** A required, non-blank string field. */
    static String requiredText(JsonNode body, String field, int maxLength) {
        JsonNode value = body.get(field);
        if (value == null || !value.isTextual() || value.textValue().isBlank()) {
            throw ApiException.badRequest("'" + field + "' is required: a non-empty string");
        }
        return boundedText(field, value.textValue().strip(), maxLength);
    }

    static Optional<String> optionalText(JsonNode body, String field, int maxLength) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) return Optional.empty();
        if (!value.isTextual()) throw ApiException.badRequest("'" + field + "' must be a string");
        return Optional.of(boundedText(field, value.textValue().strip(), maxLength));
    }

    private static String boundedText(String field, String text, int maxLength) {
        if (text.length() > maxLength) {
            throw ApiException.badRequest("'" + field + "' must be " + maxLength + " characters or less");
        }
        return text;
    }

    static ApiException notFound(String what) {
        return new ApiException(StatusCodes.NOT_FOUND, what + " not found");
    }
}
