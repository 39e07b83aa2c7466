package dev.baton.engine.waitpoint;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.EntityRef;
import akka.japi.function.Function;
import akka.pattern.StatusReply;
import dev.baton.engine.common.Ids;
import dev.baton.engine.idempotency.IdempotencyKeyEntity;
import dev.baton.engine.idempotency.IdempotencyKeyEntity.Claimed;
import dev.baton.engine.waitpoint.WaitpointTokenEntity.State;
import dev.baton.engine.worker.RunError;
import dev.baton.engine.worker.StepResult;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The engine's API for waitpoint tokens, used by the HTTP API (create, read, complete, callback) and by
 * runs (through {@code RunLinks#awaitToken}). Ids are {@code waitpoint_…}; anything else is unknown
 * without asking an entity. A token of another environment is as absent as an unknown one.
 */
public final class WaitpointTokens {

    /** The idempotency keys of tokens are not per task: they all share this "task" in the key's entity id. */
    private static final String KEY_SCOPE = "waitpoint";

    private static final int CALLBACK_HASH_LENGTH = 40;

    /**
     * @param timeoutAt null for no timeout
     * @param idempotencyKey null for none
     * @param idempotencyKeyTtl how long the key returns the token; null for the configured default
     */
    public record CreateRequest(
            Instant timeoutAt, List<String> tags, String idempotencyKey, Duration idempotencyKeyTtl) {
        public CreateRequest {
            tags = tags == null ? List.of() : List.copyOf(tags);
        }
    }

    /** @param cached true when the idempotency key returned an existing token */
    public record Created(State token, boolean cached) {}

    /** How a completion through the callback URL went. */
    public enum CallbackOutcome {
        COMPLETED,
        NOT_FOUND,
        INVALID_HASH
    }

    private final ClusterSharding sharding;
    private final Clock clock;
    private final Duration askTimeout;
    private final Duration defaultKeyTtl;
    private final WaitpointTokenEntity.Waiters waiters;

    public WaitpointTokens(
            ActorSystem<?> system,
            Clock clock,
            Duration askTimeout,
            Duration defaultKeyTtl,
            WaitpointTokenEntity.Waiters waiters) {
        this.sharding = ClusterSharding.get(system);
        this.clock = clock;
        this.askTimeout = askTimeout;
        this.defaultKeyTtl = defaultKeyTtl;
        this.waiters = waiters;
    }

    /**
     * Creates a token; completes once {@code TokenCreated} is persisted. With an idempotency key, every
     * create with the key gets the same token (final or not) until the key expires.
     */
    public CompletionStage<Created> create(String environmentId, CreateRequest request) {
        String candidate = Ids.newId("waitpoint");
        String callbackHash = Ids.random(CALLBACK_HASH_LENGTH);
        if (request.idempotencyKey() == null) {
            TokenSpec spec =
                    new TokenSpec(environmentId, request.timeoutAt(), request.tags(), null, null, callbackHash);
            return createEntity(candidate, spec).thenApply(token -> new Created(token, false));
        }
        Instant keyExpiresAt =
                clock.instant().plus(request.idempotencyKeyTtl() == null ? defaultKeyTtl : request.idempotencyKeyTtl());
        TokenSpec spec = new TokenSpec(
                environmentId,
                request.timeoutAt(),
                request.tags(),
                request.idempotencyKey(),
                keyExpiresAt,
                callbackHash);
        String keyEntityId = IdempotencyKeyEntity.entityId(
                environmentId, KEY_SCOPE, IdempotencyKeyEntity.Kind.TOKEN, request.idempotencyKey());
        CompletionStage<Claimed> claim = sharding.entityRefFor(IdempotencyKeyEntity.ENTITY_TYPE_KEY, keyEntityId)
                .ask(replyTo -> new IdempotencyKeyEntity.Claim(candidate, null, keyExpiresAt, replyTo), askTimeout);
        // Creating the claimed id creates it if its first create never got that far (a crash, a concurrent duplicate).
        return claim.thenCompose(claimed ->
                createEntity(claimed.runId(), spec).thenApply(token -> new Created(token, !claimed.isNew())));
    }

    /** The token, if it exists in this environment. */
    public CompletionStage<Optional<State>> get(String environmentId, String tokenId) {
        if (!looksLikeTokenId(tokenId)) return CompletableFuture.completedFuture(Optional.empty());
        return token(tokenId)
                .<State>ask(WaitpointTokenEntity.Get::new, askTimeout)
                .thenApply(state -> state.belongsTo(environmentId) ? Optional.of(state) : Optional.empty());
    }

    /**
     * Completes the token with {@code outputJson} (JSON text, or null for no data); empty when it does not
     * exist in this environment. A token that is already final keeps its outcome and is returned as it is.
     */
    public CompletionStage<Optional<State>> complete(String environmentId, String tokenId, String outputJson) {
        if (!looksLikeTokenId(tokenId)) return CompletableFuture.completedFuture(Optional.empty());
        return token(tokenId)
                .<StatusReply<State>>ask(
                        replyTo -> new WaitpointTokenEntity.Complete(environmentId, outputJson, replyTo), askTimeout)
                .thenApply(reply -> reply.isSuccess() ? Optional.of(reply.getValue()) : Optional.empty());
    }

    /** Completes the token through its callback URL, whose last segment must be the token's hash. */
    public CompletionStage<CallbackOutcome> completeByCallback(String tokenId, String callbackHash, String outputJson) {
        if (!looksLikeTokenId(tokenId)) return CompletableFuture.completedFuture(CallbackOutcome.NOT_FOUND);
        return token(tokenId)
                .<StatusReply<State>>ask(
                        replyTo -> new WaitpointTokenEntity.CompleteByCallback(callbackHash, outputJson, replyTo),
                        askTimeout)
                .thenApply(reply -> {
                    if (reply.isSuccess()) return CallbackOutcome.COMPLETED;
                    return WaitpointTokenEntity.INVALID_CALLBACK.equals(
                                    reply.getError().getMessage())
                            ? CallbackOutcome.INVALID_HASH
                            : CallbackOutcome.NOT_FOUND;
                });
    }

    /**
     * Registers {@code runId} as waiting for the token; the run is told the outcome through the waiters
     * ({@code RunService#tokenCompleted}), at once when the token is final or unknown. Fire and forget.
     */
    public void awaitToken(String environmentId, String tokenId, String runId) {
        if (!looksLikeTokenId(tokenId)) {
            waiters.tell(
                    runId,
                    tokenId,
                    StepResult.failure(new RunError(
                            WaitpointTokenEntity.TOKEN_NOT_FOUND, "Waitpoint token " + tokenId + " not found", null)));
            return;
        }
        token(tokenId).tell(new WaitpointTokenEntity.AwaitToken(environmentId, runId));
    }

    private CompletionStage<State> createEntity(String tokenId, TokenSpec spec) {
        return ask(tokenId, replyTo -> new WaitpointTokenEntity.Create(spec, replyTo));
    }

    private CompletionStage<State> ask(
            String tokenId, Function<ActorRef<StatusReply<State>>, WaitpointTokenEntity.Command> command) {
        return token(tokenId).ask(command, askTimeout).thenApply(reply -> {
            if (reply.isError())
                throw new IllegalStateException(reply.getError().getMessage());
            return reply.getValue();
        });
    }

    private EntityRef<WaitpointTokenEntity.Command> token(String tokenId) {
        return sharding.entityRefFor(WaitpointTokenEntity.ENTITY_TYPE_KEY, tokenId);
    }

    /** Ids come from outside; anything that cannot be a token id must not start an entity. */
    public static boolean looksLikeTokenId(String tokenId) {
        return tokenId != null && tokenId.matches("waitpoint_[0-9a-z]{1,64}");
    }
}
