package dev.baton.projections.clickhouse;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.cluster.sharding.typed.ShardedDaemonProcessSettings;
import akka.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import com.typesafe.config.Config;
import dev.baton.engine.common.Failures;
import dev.baton.engine.logs.RunLogStore;
import dev.baton.engine.storage.Database;
import dev.baton.projections.internal.Jdbc;
import dev.baton.projections.traces.SpanStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies the tables Baton writes outside its journal to ClickHouse (docs/analytics.md): the runs' log lines
 * ({@code baton_run_logs} to {@code run_logs}) and the spans workers reported ({@code baton_spans} to
 * {@code spans}). One shipper runs in the cluster (a sharded daemon process of one); every {@code interval} it
 * copies each table's new rows, a batch at a time, and stores how far it got in {@code baton_clickhouse_shipping}
 * only after ClickHouse acknowledged the batch: at least once, and a batch sent twice collapses on merge (FINAL).
 * ClickHouse being down never touches logging or span reports: the shipper logs, waits for its next tick and
 * carries on from its stored offset.
 *
 * <p>Why a safety window rather than following {@code seq > last}: identity values (and the writers' clock
 * readings) are taken before their transaction commits, and transactions commit in any order, so a follower of
 * {@code seq} could see seq 11 committed, move past it, and never see seq 10 commit a moment later. Instead the
 * shipper reads in (stored time, key) order and only rows stored more than {@code safety-window} ago: a row
 * whose transaction commits within that window of the writer's clock reading (plus clock skew between nodes)
 * is always visible before the shipper passes its place. Gap tracking would ship sooner but must time gaps
 * out anyway (rolled-back identities leave gaps forever); analysts can wait a minute.
 */
public final class ClickHouseShipper {

    public static final String NAME = "baton-clickhouse-shipper";
    public static final String SCHEMA_SCRIPT = "db/clickhouse-shipping.sql";

    private static final Logger log = LoggerFactory.getLogger(ClickHouseShipper.class);

    /** {@code baton.clickhouse.shipping}. */
    public record Settings(Duration interval, Duration safetyWindow, int batchSize) {
        public static Settings fromConfig(Config config) {
            Config shipping = config.getConfig("baton.clickhouse.shipping");
            return new Settings(
                    shipping.getDuration("interval"),
                    shipping.getDuration("safety-window"),
                    shipping.getInt("batch-size"));
        }
    }

    private final DataSource dataSource;
    private final String saveSql;
    private final ClickHouseStore store;
    private final Settings settings;
    private final Clock clock;
    private final List<ShippedTable<?>> tables = List.of(new RunLogsTable(), new ReportedSpansTable());

    public ClickHouseShipper(Database database, ClickHouseStore store, Settings settings, Clock clock) {
        // The tables it reads are created by the log and span stores too; idempotent, so order never matters.
        database.runSchemaScript(RunLogStore.SCHEMA_SCRIPT);
        database.runSchemaScript(SpanStore.SCHEMA_SCRIPT);
        database.runSchemaScript(SCHEMA_SCRIPT);
        this.dataSource = database.dataSource();
        this.saveSql = Jdbc.upsertSql(
                database.dialect(),
                "baton_clickhouse_shipping",
                List.of("feed", "after_time", "after_key", "updated_at"));
        this.store = store;
        this.settings = settings;
        this.clock = clock;
    }

    /** Starts the cluster's one shipper. */
    public static void init(ActorSystem<?> system, Database database, ClickHouseStore store, Clock clock) {
        Settings settings = Settings.fromConfig(system.settings().config());
        ClickHouseShipper shipper = new ClickHouseShipper(database, store, settings, clock);
        ShardedDaemonProcess.get(system)
                .init(
                        Tick.class,
                        NAME,
                        1,
                        index -> shipper.behavior(),
                        ShardedDaemonProcessSettings.create(system),
                        Optional.empty());
    }

    /**
     * Copies every row stored before now minus the safety window that is not copied yet, batch by batch; returns
     * how many rows it copied. Blocking.
     */
    public int shipAll() {
        Instant before = clock.instant().minus(settings.safetyWindow());
        int shipped = 0;
        for (ShippedTable<?> table : tables) shipped += shipAll(table, before);
        return shipped;
    }

    private <R> int shipAll(ShippedTable<R> table, Instant before) {
        int shipped = 0;
        while (true) {
            ShippedTable.Batch<R> batch = withConnection(connection ->
                    table.rowsAfter(connection, offset(connection, table.feed()), before, settings.batchSize()));
            if (batch.rows().isEmpty()) return shipped;
            table.insert(store, batch.rows());
            withConnection(connection -> {
                save(connection, table.feed(), batch.last());
                return null;
            });
            shipped += batch.rows().size();
            if (batch.rows().size() < settings.batchSize()) return shipped;
        }
    }

    /** Where the shipper stands in {@code feed}, or {@link ShippingOffset#START}. */
    public ShippingOffset offset(String feed) {
        return withConnection(connection -> offset(connection, feed));
    }

    private static ShippingOffset offset(Connection connection, String feed) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT after_time, after_key FROM baton_clickhouse_shipping WHERE feed = ?")) {
            select.setString(1, feed);
            try (ResultSet result = select.executeQuery()) {
                return result.next()
                        ? new ShippingOffset(Jdbc.instant(result, 1), result.getString(2))
                        : ShippingOffset.START;
            }
        }
    }

    private void save(Connection connection, String feed, ShippingOffset offset) throws SQLException {
        try (PreparedStatement save = connection.prepareStatement(saveSql)) {
            save.setString(1, feed);
            Jdbc.setInstant(save, 2, offset.time());
            save.setString(3, offset.key());
            Jdbc.setInstant(save, 4, clock.instant());
            save.executeUpdate();
        }
    }

    private <T> T withConnection(Jdbc.ConnectionCall<T> call) {
        try {
            return Jdbc.withConnection(dataSource, call);
        } catch (SQLException e) {
            throw new IllegalStateException("reading or storing the ClickHouse shipping offsets failed", e);
        }
    }

    /** Wakes the shipper; it ships on the store's threads and ignores ticks while a round is under way. */
    public sealed interface Tick {}

    private enum Wake implements Tick {
        INSTANCE
    }

    private record Shipped(int rows, Throwable failure) implements Tick {}

    /** The most a failing shipper waits between rounds. */
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    private Behavior<Tick> behavior() {
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
            timers.startTimerWithFixedDelay(Wake.INSTANCE, settings.interval());
            return new Rounds(context).behavior();
        }));
    }

    /** One round at a time; after failures, rounds back off (doubling up to {@link #MAX_BACKOFF}). */
    private final class Rounds {
        private final ActorContext<Tick> context;
        private boolean shipping;
        private int failures;
        private Instant nextRound = Instant.MIN;

        Rounds(ActorContext<Tick> context) {
            this.context = context;
        }

        Behavior<Tick> behavior() {
            return Behaviors.receive(Tick.class)
                    .onMessageEquals(Wake.INSTANCE, this::wake)
                    .onMessage(Shipped.class, this::shipped)
                    .build();
        }

        private Behavior<Tick> wake() {
            if (shipping || clock.instant().isBefore(nextRound)) return Behaviors.same();
            shipping = true;
            CompletableFuture<Integer> round =
                    store.ensureSchema().toCompletableFuture().thenApplyAsync(ready -> shipAll(), store.executor());
            context.pipeToSelf(round, (rows, failure) -> new Shipped(rows == null ? 0 : rows, failure));
            return Behaviors.same();
        }

        private Behavior<Tick> shipped(Shipped done) {
            shipping = false;
            if (done.failure() == null) {
                failures = 0;
                nextRound = Instant.MIN;
                if (done.rows() > 0) log.debug("Shipped {} log lines and spans to ClickHouse", done.rows());
                return Behaviors.same();
            }
            failures++;
            Duration backoff = settings.interval().multipliedBy(1L << Math.min(failures, 10));
            if (backoff.compareTo(MAX_BACKOFF) > 0) backoff = MAX_BACKOFF;
            nextRound = clock.instant().plus(backoff);
            Throwable cause = Failures.cause(done.failure());
            log.warn("Shipping logs and spans to ClickHouse failed, retried in {}: {}", backoff, cause.getMessage());
            return Behaviors.same();
        }
    }
}
