package dev.baton.api.auth;

import akka.http.javadsl.model.HttpHeader;
import akka.http.javadsl.model.headers.RawHeader;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletionStage;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The public access token a trigger answers with in {@code x-trigger-jwt} (the Trigger.dev SDK returns it as
 * {@code handle.publicAccessToken}): an HS256 JWT signed with the environment's server secret, with
 * Trigger.dev's claims ({@code sub} the environment, {@code pub: true}, {@code scopes: ["read:runs:<id>"]},
 * {@code iss}, {@code aud}, {@code iat}, {@code exp}). Trigger.dev uses it for realtime subscriptions and
 * browser access to one run; Baton has neither yet, so the token is well formed and scoped but no Baton
 * call accepts it.
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
        return secrets.secret(environmentId)
                .thenApply(secret -> headers(environmentId, sign(secret, claims(environmentId, "read:runs:" + runId))));
    }

    /**
     * A token that may complete one waitpoint token (Trigger.dev's {@code write:waitpoints:<id>}); with its headers.
     */
    public CompletionStage<List<HttpHeader>> forWaitpoint(String environmentId, String tokenId) {
        return secrets.secret(environmentId)
                .thenApply(secret ->
                        headers(environmentId, sign(secret, claims(environmentId, "write:waitpoints:" + tokenId))));
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
