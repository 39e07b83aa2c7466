package dev.baton.api.auth;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.DispatcherSelector;
import akka.http.javadsl.model.StatusCodes;
import dev.baton.api.errors.ApiException;
import dev.baton.engine.storage.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The uses of one-time-use public access tokens, in {@code baton_used_public_tokens}: the first use inserts the
 * token's hash, and the primary key refuses every later insert, on whichever node it comes. Rows of expired
 * tokens are deleted now and then (at most once per {@code purgeInterval} per node), as such a token is refused
 * anyway.
 */
public final class OneTimeTokens {

    public static final String SCHEMA_SCRIPT = "db/public-token-uses.sql";
    static final String ALREADY_USED = "This one-time use token has already been used";
    private static final CompletionStage<Void> NOTHING_TO_RECORD = CompletableFuture.completedFuture(null);
    private static final Logger log = LoggerFactory.getLogger(OneTimeTokens.class);

    private final DataSource dataSource;
    private final Executor blockingIo;
    private final Clock clock;
    private final Duration purgeInterval;
    private final AtomicReference<Instant> nextPurge = new AtomicReference<>(Instant.MIN);

    public OneTimeTokens(DataSource dataSource, Executor blockingIo, Clock clock, Duration purgeInterval) {
        this.dataSource = dataSource;
        this.blockingIo = blockingIo;
        this.clock = clock;
        this.purgeInterval = purgeInterval;
    }

    /** Creates the table if missing (idempotent); the database work runs on Akka's blocking-IO dispatcher. */
    public static OneTimeTokens create(ActorSystem<?> system, Database database, Clock clock, Duration purgeInterval) {
        database.runSchemaScript(SCHEMA_SCRIPT);
        return new OneTimeTokens(
                database.dataSource(),
                system.dispatchers().lookup(DispatcherSelector.blocking()),
                clock,
                purgeInterval);
    }

    /**
     * Completes when the caller may go on: a secret key, a token that is not one-time-use, or the first use of one
     * (now recorded). A later use fails with 401, as Trigger.dev refuses it.
     */
    public CompletionStage<Void> firstUse(Caller caller) {
        if (!caller.isPublic() || !caller.token().oneTimeUse()) return NOTHING_TO_RECORD;
        return use(caller.environment().id(), caller.token()).thenApply(first -> {
            if (!first) throw new ApiException(StatusCodes.UNAUTHORIZED, ALREADY_USED);
            return null;
        });
    }

    /** True for the token's first use; false when it was used before. */
    CompletionStage<Boolean> use(String environmentId, PublicToken token) {
        return CompletableFuture.supplyAsync(
                () -> {
                    try (Connection connection = dataSource.getConnection()) {
                        connection.setAutoCommit(true);
                        boolean first = insert(connection, environmentId, token);
                        purgeIfDue(connection);
                        return first;
                    } catch (SQLException e) {
                        throw new CompletionException(e);
                    }
                },
                blockingIo);
    }

    private boolean insert(Connection connection, String environmentId, PublicToken token) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO baton_used_public_tokens"
                + "(token_hash, environment_id, expires_at, used_at) VALUES (?, ?, ?, ?)")) {
            insert.setString(1, token.hash());
            insert.setString(2, environmentId);
            insert.setObject(3, OffsetDateTime.ofInstant(token.expiresAt(), ZoneOffset.UTC));
            insert.setObject(4, OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC));
            insert.executeUpdate();
            return true;
        } catch (SQLException e) {
            // 23505 on PostgreSQL and H2 alike: the hash is there, the token was used.
            if ("23505".equals(e.getSQLState())) return false;
            throw e;
        }
    }

    private void purgeIfDue(Connection connection) {
        Instant now = clock.instant();
        Instant due = nextPurge.get();
        if (now.isBefore(due) || !nextPurge.compareAndSet(due, now.plus(purgeInterval))) return;
        try (PreparedStatement delete =
                connection.prepareStatement("DELETE FROM baton_used_public_tokens WHERE expires_at < ?")) {
            delete.setObject(1, OffsetDateTime.ofInstant(now, ZoneOffset.UTC));
            delete.executeUpdate();
        } catch (SQLException e) {
            // Only housekeeping: the rows are deleted next time.
            log.warn("Could not delete the uses of expired one-time-use tokens", e);
        }
    }
}
