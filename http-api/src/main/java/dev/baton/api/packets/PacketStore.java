package dev.baton.api.packets;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.DispatcherSelector;
import dev.baton.engine.storage.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import javax.sql.DataSource;

/**
 * Uploaded packets ({@code baton_packets}): the bytes of a large payload and their content type, per
 * environment and path. Written by the packet URL's PUT, read when a trigger names the packet and by the
 * packet URL's GET. JDBC blocks, so every call runs on Akka's blocking-IO dispatcher.
 */
public final class PacketStore {

    /** A stored packet. */
    public record Packet(String contentType, byte[] data) {}

    private final DataSource dataSource;
    private final Database.Dialect dialect;
    private final Executor blockingIo;
    private final Clock clock;

    PacketStore(DataSource dataSource, Database.Dialect dialect, Executor blockingIo, Clock clock) {
        this.dataSource = dataSource;
        this.dialect = dialect;
        this.blockingIo = blockingIo;
        this.clock = clock;
    }

    /** Creates the table if missing (idempotent). */
    public static PacketStore create(ActorSystem<?> system, Database database) {
        database.runSchemaScript(
                database.dialect() == Database.Dialect.POSTGRES ? "db/packets-postgres.sql" : "db/packets-h2.sql");
        return new PacketStore(
                database.dataSource(),
                database.dialect(),
                system.dispatchers().lookup(DispatcherSelector.blocking()),
                Clock.systemUTC());
    }

    /** Stores (or replaces) the packet at {@code path}. */
    public CompletionStage<Void> put(String environmentId, String path, Packet packet) {
        String sql = switch (dialect) {
            case POSTGRES ->
                "INSERT INTO baton_packets(environment_id, path, content_type, data, created_at)"
                        + " VALUES (?, ?, ?, ?, ?) ON CONFLICT (environment_id, path) DO UPDATE SET content_type ="
                        + " EXCLUDED.content_type, data = EXCLUDED.data, created_at = EXCLUDED.created_at";
            case H2 ->
                "MERGE INTO baton_packets(environment_id, path, content_type, data, created_at)"
                        + " KEY (environment_id, path) VALUES (?, ?, ?, ?, ?)";
        };
        return CompletableFuture.runAsync(
                () -> {
                    try (Connection connection = dataSource.getConnection();
                            PreparedStatement upsert = connection.prepareStatement(sql)) {
                        connection.setAutoCommit(true);
                        upsert.setString(1, environmentId);
                        upsert.setString(2, path);
                        upsert.setString(3, packet.contentType());
                        upsert.setBytes(4, packet.data());
                        upsert.setObject(5, OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC));
                        upsert.executeUpdate();
                    } catch (SQLException e) {
                        throw new CompletionException(e);
                    }
                },
                blockingIo);
    }

    public CompletionStage<Optional<Packet>> get(String environmentId, String path) {
        return CompletableFuture.supplyAsync(
                () -> {
                    try (Connection connection = dataSource.getConnection();
                            PreparedStatement select = connection.prepareStatement(
                                    "SELECT content_type, data FROM baton_packets WHERE environment_id = ? AND path "
                                            + "= ?")) {
                        connection.setAutoCommit(true);
                        select.setString(1, environmentId);
                        select.setString(2, path);
                        try (ResultSet result = select.executeQuery()) {
                            return result.next()
                                    ? Optional.of(new Packet(result.getString(1), result.getBytes(2)))
                                    : Optional.empty();
                        }
                    } catch (SQLException e) {
                        throw new CompletionException(e);
                    }
                },
                blockingIo);
    }
}
