package dev.baton.api.auth;

import akka.http.javadsl.model.StatusCodes;
import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.api.errors.ApiException;
import dev.baton.api.json.Json;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Checks a public access token as Baton signed it ({@link PublicAccessTokens}): header {@code alg} HS256 and
 * nothing else (no {@code none}, no algorithm chosen by the token), the HMAC with the server secret of the
 * environment its {@code sub} names (compared in constant time), {@code iss} and {@code aud} as Baton writes
 * them, {@code exp} (required) and {@code nbf} (if present) against the node's clock, and {@code pub: true}.
 * A token that fails is a 401 with Trigger.dev's messages; the reason follows, for whoever debugs it.
 */
final class PublicTokenVerifier {

    static final String UNKNOWN_ENVIRONMENT = "Invalid Public Access Token";
    static final String INVALID = "Public Access Token is invalid";

    private final EnvironmentSecrets secrets;
    private final Clock clock;

    PublicTokenVerifier(EnvironmentSecrets secrets, Clock clock) {
        this.secrets = secrets;
        this.clock = clock;
    }

    /** Whether a bearer token has a JWT's shape (three dot-separated parts); a secret key has no dot. */
    static boolean looksLikeJwt(String token) {
        int first = token.indexOf('.');
        if (first < 0) return false;
        int second = token.indexOf('.', first + 1);
        return second > 0 && token.indexOf('.', second + 1) < 0;
    }

    /** The caller the token stands for, or a failed stage with a 401 {@link ApiException}. */
    CompletionStage<Caller> verify(String jwt) {
        String[] parts = jwt.split("\\.", -1);
        JsonNode header;
        JsonNode claims;
        try {
            header = Json.parse(decode(parts[0]));
            claims = Json.parse(decode(parts[1]));
        } catch (Exception e) {
            return CompletableFuture.failedFuture(invalid("it is not a JSON Web Token"));
        }
        if (header == null || claims == null || !header.isObject() || !claims.isObject()) {
            return CompletableFuture.failedFuture(invalid("it is not a JSON Web Token"));
        }
        if (!"HS256".equals(header.path("alg").textValue())) {
            return CompletableFuture.failedFuture(invalid("only alg HS256 is accepted"));
        }
        String environmentId = claims.path("sub").textValue();
        if (environmentId == null) return CompletableFuture.failedFuture(invalid("it names no environment (sub)"));
        return secrets.signer(environmentId).thenApply(signer -> {
            EnvironmentSecrets.Signer found =
                    signer.orElseThrow(() -> unauthorized(UNKNOWN_ENVIRONMENT + ": no environment " + environmentId));
            byte[] expected = PublicAccessTokens.hmac(
                    found.secret(), (parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
            byte[] signature;
            try {
                signature = decode(parts[2]);
            } catch (IllegalArgumentException e) {
                throw invalid("the signature is not base64url");
            }
            if (!MessageDigest.isEqual(expected, signature)) throw invalid("the signature does not match");
            return new Caller(found.environment(), token(jwt, claims));
        });
    }

    private PublicToken token(String jwt, JsonNode claims) {
        if (!PublicAccessTokens.ISSUER.equals(claims.path("iss").textValue())) throw invalid("wrong issuer (iss)");
        if (!audienceMatches(claims.path("aud"))) throw invalid("wrong audience (aud)");
        JsonNode exp = claims.path("exp");
        if (!exp.isNumber()) throw invalid("it has no expiry (exp)");
        long now = clock.instant().getEpochSecond();
        if (now >= exp.asLong()) throw invalid("it has expired");
        JsonNode nbf = claims.path("nbf");
        if (!nbf.isMissingNode() && (!nbf.isNumber() || now < nbf.asLong())) throw invalid("it is not valid yet (nbf)");
        if (!claims.path("pub").booleanValue()) throw invalid("it is not a public token (pub)");
        List<String> scopes = new ArrayList<>();
        JsonNode listed = claims.path("scopes");
        if (!listed.isMissingNode() && !listed.isArray()) throw invalid("scopes is not a list");
        for (JsonNode scope : listed) {
            if (!scope.isTextual()) throw invalid("scopes holds something that is not a string");
            scopes.add(scope.textValue());
        }
        List<String> skipColumns = null;
        JsonNode skip = claims.path("realtime").path("skipColumns");
        if (!skip.isMissingNode() && !skip.isNull()) {
            if (!skip.isArray()) throw invalid("realtime.skipColumns is not a list");
            skipColumns = new ArrayList<>();
            for (JsonNode column : skip) {
                if (!column.isTextual()) throw invalid("realtime.skipColumns holds something that is not a string");
                skipColumns.add(column.textValue());
            }
        }
        return new PublicToken(
                sha256(jwt),
                new Scopes(scopes),
                claims.path("otu").booleanValue(),
                Instant.ofEpochSecond(exp.asLong()),
                skipColumns == null ? null : List.copyOf(skipColumns));
    }

    /** A JWT's aud is a string or a list of them. */
    private static boolean audienceMatches(JsonNode aud) {
        if (aud.isTextual()) return PublicAccessTokens.AUDIENCE.equals(aud.textValue());
        if (!aud.isArray()) return false;
        for (JsonNode one : aud) {
            if (PublicAccessTokens.AUDIENCE.equals(one.textValue())) return true;
        }
        return false;
    }

    private static byte[] decode(String part) {
        return Base64.getUrlDecoder().decode(part);
    }

    static String sha256(String token) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    private static ApiException invalid(String reason) {
        return unauthorized(INVALID + ": " + reason);
    }

    private static ApiException unauthorized(String message) {
        return new ApiException(StatusCodes.UNAUTHORIZED, message);
    }
}
