package dev.baton.api.packets;

import static akka.http.javadsl.server.Directives.complete;
import static akka.http.javadsl.server.Directives.concat;
import static akka.http.javadsl.server.Directives.extractMaterializer;
import static akka.http.javadsl.server.Directives.extractRequestEntity;
import static akka.http.javadsl.server.Directives.extractUnmatchedPath;
import static akka.http.javadsl.server.Directives.extractUri;
import static akka.http.javadsl.server.Directives.get;
import static akka.http.javadsl.server.Directives.onSuccess;
import static akka.http.javadsl.server.Directives.parameterOptional;
import static akka.http.javadsl.server.Directives.pathPrefix;
import static akka.http.javadsl.server.Directives.put;
import static akka.http.javadsl.server.PathMatchers.segment;

import akka.actor.typed.ActorSystem;
import akka.http.javadsl.model.ContentType;
import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.RequestEntity;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.model.Uri;
import akka.http.javadsl.server.Route;
import akka.util.ByteString;
import dev.baton.api.auth.Authentication;
import dev.baton.api.auth.EnvironmentSecrets;
import dev.baton.api.auth.PublicAccessTokens;
import dev.baton.api.body.BoundedBody;
import dev.baton.api.errors.ApiException;
import dev.baton.api.errors.ErrorHandling;
import dev.baton.api.json.Json;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.HexFormat;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;

/**
 * Large payloads, as the Trigger.dev SDK offloads them (128 KiB and more). {@code PUT /api/v2/packets/<path>}
 * answers {@code {presignedUrl, storagePath}}; the SDK PUTs the bytes to that URL (no API key: the URL is
 * signed with the environment's server secret and expires), then triggers with
 * {@code payloadType: "application/store"} and {@code payload: storagePath}, and Baton puts the stored packet
 * into the run as its payload. {@code GET /api/v1/packets/<path>} presigns a download the same way
 * ({@code PUT /api/v1/packets/<path>} is the older SDKs' upload presign). The signed URLs are Baton's own
 * {@code /packets/<environment>/<path>?expires=…&signature=…}.
 */
public final class PacketRoutes {

    /** Paths the SDK makes ({@code trigger/packet_…/payload.json}): letters, digits, {@code . _ -}, slashes between. */
    private static final Pattern PATH = Pattern.compile("[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*");

    private static final int MAX_PATH_LENGTH = 1024;

    private final PacketStore store;
    private final EnvironmentSecrets secrets;
    private final Authentication authentication;
    private final PacketSettings settings;
    private final Clock clock;

    public PacketRoutes(
            ActorSystem<?> system, PacketStore store, EnvironmentSecrets secrets, Authentication authentication) {
        this.store = store;
        this.secrets = secrets;
        this.authentication = authentication;
        this.settings = PacketSettings.fromConfig(system.settings().config());
        this.clock = Clock.systemUTC();
    }

    public Route routes() {
        return concat(
                pathPrefix(
                        segment("api").slash("v2").slash("packets"),
                        () -> put(() -> packetPath(path -> authentication.authenticated(
                                environment -> presign("PUT", environment.id(), path, true))))),
                pathPrefix(
                        segment("api").slash("v1").slash("packets"),
                        () -> concat(
                                put(() -> packetPath(path -> authentication.authenticated(
                                        environment -> presign("PUT", environment.id(), path, false)))),
                                get(() -> packetPath(path -> authentication.authenticated(
                                        environment -> presign("GET", environment.id(), path, false)))))),
                pathPrefix(
                        segment("packets").slash(segment()),
                        environmentId -> packetPath(path -> concat(
                                put(() -> signed("PUT", environmentId, path, () -> upload(environmentId, path))),
                                get(() -> signed("GET", environmentId, path, () -> download(environmentId, path)))))));
    }

    public record PresignedUrl(String presignedUrl, String storagePath) {}

    private Route presign(String method, String environmentId, String path, boolean withStoragePath) {
        long expires = clock.instant().plus(settings.urlExpiresIn()).getEpochSecond();
        return extractUri(uri -> onSuccess(secrets.secret(environmentId), secret -> {
            String url = baseUrl(uri) + "/packets/" + environmentId + "/" + path + "?expires=" + expires + "&signature="
                    + signature(secret, method, environmentId, path, expires);
            return complete(Json.response(StatusCodes.OK, new PresignedUrl(url, withStoragePath ? path : null)));
        }));
    }

    /** Lets the request through only with an unexpired signature of this method, environment and path. */
    private Route signed(String method, String environmentId, String path, java.util.function.Supplier<Route> inner) {
        return parameterOptional(
                "expires",
                expires -> parameterOptional("signature", signature -> {
                    Optional<Long> until = expires.flatMap(PacketRoutes::number);
                    if (until.isEmpty()
                            || signature.isEmpty()
                            || until.get() < clock.instant().getEpochSecond()
                            || !environmentId.matches("[A-Za-z0-9_.-]{1,64}")) {
                        return ErrorHandling.error(StatusCodes.FORBIDDEN, "Invalid or expired packet URL");
                    }
                    return onSuccess(secrets.secret(environmentId), secret -> {
                        byte[] expected = signature(secret, method, environmentId, path, until.get())
                                .getBytes(StandardCharsets.US_ASCII);
                        if (!MessageDigest.isEqual(expected, signature.get().getBytes(StandardCharsets.US_ASCII))) {
                            return ErrorHandling.error(StatusCodes.FORBIDDEN, "Invalid or expired packet URL");
                        }
                        return inner.get();
                    });
                }));
    }

    private Route upload(String environmentId, String path) {
        return extractRequestEntity(entity -> extractMaterializer(materializer -> {
            OptionalLong declared = entity.getContentLengthOption();
            if (declared.isPresent() && declared.getAsLong() > settings.maxSize()) throw tooLarge();
            String contentType = entity.getContentType().mediaType().toString();
            CompletionStage<Void> stored = read(entity, materializer)
                    .thenCompose(bytes -> store.put(environmentId, path, new PacketStore.Packet(contentType, bytes)));
            return onSuccess(
                    stored,
                    done -> complete(Json.response(StatusCodes.OK, Json.mapper().createObjectNode())));
        }));
    }

    private CompletionStage<byte[]> read(RequestEntity entity, akka.stream.Materializer materializer) {
        return BoundedBody.read(
                        entity, settings.maxSize(), settings.bodyReadTimeout(), materializer, "packet", this::tooLarge)
                .thenApply(ByteString::toArray);
    }

    private Route download(String environmentId, String path) {
        return onSuccess(
                store.get(environmentId, path),
                found -> found.map(packet -> complete(HttpResponse.create()
                                .withStatus(StatusCodes.OK)
                                .withEntity(contentType(packet.contentType()), packet.data())))
                        .orElseGet(() -> ErrorHandling.error(StatusCodes.NOT_FOUND, "Packet not found")));
    }

    private static ContentType contentType(String mediaType) {
        try {
            return ContentTypes.parse(mediaType);
        } catch (RuntimeException e) {
            return ContentTypes.APPLICATION_OCTET_STREAM;
        }
    }

    /** The rest of the path, percent-decoded, checked: a packet path, or a 400. */
    private static Route packetPath(java.util.function.Function<String, Route> inner) {
        return extractUnmatchedPath(rest -> {
            String path = decode(rest.startsWith("/") ? rest.substring(1) : rest);
            if (path.isEmpty()
                    || path.length() > MAX_PATH_LENGTH
                    || !PATH.matcher(path).matches()
                    || path.contains("..")) {
                throw ApiException.badRequest("Invalid packet path: letters, digits, '.', '_', '-' and '/' only");
            }
            return inner.apply(path);
        });
    }

    static String decode(String raw) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%' && i + 2 < raw.length()) {
                try {
                    bytes.write(Integer.parseInt(raw.substring(i + 1, i + 3), 16));
                    i += 2;
                    continue;
                } catch (NumberFormatException e) {
                    // not an escape: kept as is
                }
            }
            bytes.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private String baseUrl(Uri uri) {
        if (!settings.publicUrl().isEmpty()) return settings.publicUrl();
        String host = uri.getHost().address();
        int port = uri.getPort();
        return uri.getScheme() + "://" + (host.contains(":") ? "[" + host + "]" : host) + (port > 0 ? ":" + port : "");
    }

    static String signature(byte[] secret, String method, String environmentId, String path, long expires) {
        String data = method + "\n" + environmentId + "\n" + path + "\n" + expires;
        return HexFormat.of().formatHex(PublicAccessTokens.hmac(secret, data.getBytes(StandardCharsets.UTF_8)));
    }

    private static Optional<Long> number(String text) {
        try {
            return Optional.of(Long.parseLong(text));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private ApiException tooLarge() {
        return ApiException.tooLarge("Packet too large: the limit is " + settings.maxSize() + " bytes");
    }
}
