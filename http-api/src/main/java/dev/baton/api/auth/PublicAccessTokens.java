package dev.baton.api.auth;

import akka.http.javadsl.model.HttpHeader;
import akka.http.javadsl.model.headers.RawHeader;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.api.json.Json;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Public access tokens: HS256 JWTs signed with the environment's server secret ({@link EnvironmentSecrets}),
 * with Trigger.dev's claims ({@code sub} the environment, {@code pub: true}, {@code scopes}, {@code iss},
 * {@code aud}, {@code iat}, {@code exp}). A trigger answers with one in {@code x-trigger-jwt} (the SDK's
 * {@code handle.publicAccessToken}, scope {@code read:runs:<id>}); {@code POST /api/v1/auth/public-tokens} mints
 * one with the scopes asked for, a random {@code jti} and, for a one-time-use token, {@code otu: true}. The API
 * accepts them where {@link Authentication#caller} is used, checked by {@link PublicTokenVerifier}.
 */
public final class PublicAccessTokens {

    static final String ISSUER = "https://id.trigger.dev";
    static final String AUDIENCE = "https://api.trigger.dev";
    private static final String HEADER =
            base64Url("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));

    private final EnvironmentSecrets secrets;
    private final Clock clock;
    private final Duration expiresIn;

    public PublicAccessTokens(EnvironmentSecrets secrets, Clock clock, Duration expiresIn) {
        this.secrets = secrets;
        this.clock = clock;
        this.expiresIn = expiresIn;
    }

    /** A token that may read one run; with the headers a trigger answers with. */
    public CompletionStage<List<HttpHeader>> forRun(String environmentId, String runId) {
        return forScope(environmentId, "read:runs:" + runId);
    }

    /**
     * A token that may read one batch (and its runs), which a batch create answers with; the SDK needs it from the
     * server for keys of the form {@code tr_<env>_sk_…}, which it cannot sign with.
     */
    public CompletionStage<List<HttpHeader>> forBatch(String environmentId, String batchId) {
        return forScope(environmentId, "read:batch:" + batchId);
    }

    /**
     * A token that may complete one waitpoint token (Trigger.dev's {@code write:waitpoints:<id>}); with its headers.
     */
    public CompletionStage<List<HttpHeader>> forWaitpoint(String environmentId, String tokenId) {
        return forScope(environmentId, "write:waitpoints:" + tokenId);
    }

    private CompletionStage<List<HttpHeader>> forScope(String environmentId, String scope) {
        return secrets.secret(environmentId)
                .thenApply(secret -> headers(environmentId, sign(secret, claims(environmentId, scope))));
    }

    /**
     * A token with the scopes asked for, valid until {@code expiresAt}; {@code realtime} (Trigger.dev's realtime
     * options, kept as given) may be null. Built with Jackson: minting is rare, unlike the per-trigger token.
     */
    public CompletionStage<String> mint(
            String environmentId, List<String> scopes, Instant expiresAt, boolean oneTimeUse, JsonNode realtime) {
        ObjectNode claims = Json.mapper().createObjectNode();
        claims.put("sub", environmentId);
        claims.put("pub", true);
        scopes.forEach(claims.putArray("scopes")::add);
        if (oneTimeUse) claims.put("otu", true);
        if (realtime != null) claims.set("realtime", realtime);
        claims.put("jti", UUID.randomUUID().toString());
        claims.put("iss", ISSUER);
        claims.put("aud", AUDIENCE);
        claims.put("iat", clock.instant().getEpochSecond());
        claims.put("exp", expiresAt.getEpochSecond());
        String json = claims.toString();
        return secrets.secret(environmentId).thenApply(secret -> sign(secret, json));
    }

    /**
     * Written as text: every trigger signs a token, and a JSON tree and generator per token cost more than the rest.
     */
    private String claims(String environmentId, String scope) {
        long now = clock.instant().getEpochSecond();
        return "{\"sub\":" + quoted(environmentId) + ",\"pub\":true,\"scopes\":[" + quoted(scope) + "],\"iss\":\""
                + ISSUER + "\",\"aud\":\"" + AUDIENCE + "\",\"iat\":" + now + ",\"exp\":"
                + (now + expiresIn.toSeconds()) + "}";
    }

    private static List<HttpHeader> headers(String environmentId, String jwt) {
        return List.of(
                RawHeader.create("x-trigger-jwt", jwt),
                RawHeader.create("x-trigger-jwt-claims", "{\"sub\":" + quoted(environmentId) + ",\"pub\":true}"));
    }

    private static String quoted(String text) {
        return "\"" + new String(JsonStringEncoder.getInstance().quoteAsString(text)) + "\"";
    }

    /** {@code header.payload.signature}, base64url without padding, HMAC-SHA256 over the first two parts. */
    static String sign(byte[] secret, String claimsJson) {
        String signed = HEADER + "." + base64Url(claimsJson.getBytes(StandardCharsets.UTF_8));
        return signed + "." + base64Url(hmac(secret, signed.getBytes(StandardCharsets.US_ASCII)));
    }

    /** Looking the algorithm up costs more than the signature; every trigger signs one token. */
    private static final ThreadLocal<Mac> HMAC_SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return Mac.getInstance("HmacSHA256");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    });

    public static byte[] hmac(byte[] secret, byte[] data) {
        try {
            Mac mac = HMAC_SHA256.get();
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    private static String base64Url(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
