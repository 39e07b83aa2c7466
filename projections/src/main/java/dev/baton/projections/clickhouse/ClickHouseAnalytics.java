package dev.baton.projections.clickhouse;

import akka.Done;
import akka.actor.CoordinatedShutdown;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.DispatcherSelector;
import akka.persistence.query.Offset;
import akka.projection.HandlerRecoveryStrategy;
import akka.projection.ProjectionId;
import akka.projection.eventsourced.EventEnvelope;
import akka.projection.eventsourced.javadsl.EventSourcedProvider;
import akka.projection.javadsl.GroupedProjection;
import akka.projection.javadsl.SourceProvider;
import akka.projection.jdbc.javadsl.JdbcProjection;
import dev.baton.engine.run.RunEntity;
import dev.baton.engine.storage.Database;
import dev.baton.projections.internal.DataSourceJdbcSession;
import dev.baton.projections.internal.ProjectionDaemons;
import dev.baton.projections.traces.RunHistory;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ClickHouse analytics sink (docs/analytics.md): when {@code baton.clickhouse.url} is set, one
 * at-least-once projection per run event tag, run by a sharded daemon process, writes every run event (and the
 * spans of every finished run) to ClickHouse, and the cluster's one {@link ClickHouseShipper} copies the runs' log
 * lines and the spans workers reported. Offsets live in baton.db's offset store and move only after ClickHouse acknowledged a group.
 * ClickHouse being down or slow never touches the journal or the API: the projection fails, restarts with
 * backoff from its last offset, and catches up.
 */
public final class ClickHouseAnalytics {

    public static final String NAME = "baton-clickhouse";

    private static final Logger log = LoggerFactory.getLogger(ClickHouseAnalytics.class);

    private ClickHouseAnalytics() {}

    /** Starts the sink if configured; logs either way. Never waits for ClickHouse. */
    public static void init(ActorSystem<?> system, Database database) {
        ClickHouseSettings settings =
                ClickHouseSettings.fromConfig(system.settings().config());
        if (!settings.enabled()) {
            log.info("ClickHouse analytics off: baton.clickhouse.url (BATON_CLICKHOUSE_URL) is not set");
            return;
        }
        ClickHouseStore store = openStore(system, settings);
        log.info(
                "ClickHouse analytics on: run events of {} tags into database {} at {}",
                settings.tagCount(),
                settings.database(),
                settings.url());
        store.ensureSchema().thenCompose(ready -> store.serverVersion()).whenComplete((version, error) -> {
            if (error == null) {
                log.info("ClickHouse analytics: tables ready in {} (server {})", settings.database(), version);
            } else {
                log.warn(
                        "ClickHouse analytics: server not ready yet, the projections retry with backoff: {}",
                        error.getMessage());
            }
        });
        List<String> tags = settings.tags();
        ProjectionDaemons.start(system, NAME, tags.size(), index -> create(system, database, store, tags.get(index)));
        ClickHouseShipper.init(system, database, store, Clock.systemUTC());
    }

    /** A store on the sink's own dispatcher (the client blocks), closed when the system shuts down. */
    public static ClickHouseStore openStore(ActorSystem<?> system, ClickHouseSettings settings) {
        Executor executor = system.dispatchers().lookup(DispatcherSelector.fromConfig(ClickHouseSettings.DISPATCHER));
        return openStore(system, settings, executor);
    }

    /** A store on {@code executor}, closed when the system shuts down. */
    public static ClickHouseStore openStore(ActorSystem<?> system, ClickHouseSettings settings, Executor executor) {
        ClickHouseStore store = new ClickHouseStore(settings, executor);
        CoordinatedShutdown.get(system)
                .addTask(
                        CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
                        "close-clickhouse-" + settings.database() + "-" + System.identityHashCode(store),
                        () -> {
                            store.close();
                            return CompletableFuture.completedFuture(Done.getInstance());
                        });
        return store;
    }

    public static ProjectionId projectionId(String tag) {
        return ProjectionId.of(NAME, tag);
    }

    /** The projection of one tag's events (started by {@link #init}; tests may run it on its own). */
    public static GroupedProjection<Offset, EventEnvelope<RunEntity.Event>> create(
            ActorSystem<?> system, Database database, ClickHouseStore store, String tag) {
        String readJournal = store.settings().readJournalPluginId();
        SourceProvider<Offset, EventEnvelope<RunEntity.Event>> events =
                EventSourcedProvider.eventsByTag(system, readJournal, tag);
        return create(system, database, store, RunJournal.of(system, readJournal), tag, events);
    }

    static GroupedProjection<Offset, EventEnvelope<RunEntity.Event>> create(
            ActorSystem<?> system,
            Database database,
            ClickHouseStore store,
            RunJournal journal,
            String tag,
            SourceProvider<Offset, EventEnvelope<RunEntity.Event>> events) {
        ClickHouseSettings settings = store.settings();
        RunFactsCache cache = new RunFactsCache(settings.cachedRunsPerTag());
        return JdbcProjection.groupedWithinAsync(
                        projectionId(tag),
                        events,
                        () -> new DataSourceJdbcSession(database.dataSource()),
                        () -> new ClickHouseHandler(
                                tag,
                                store,
                                journal,
                                RunHistory.fromJournal(system, settings.readJournalPluginId()),
                                cache),
                        system)
                .withGroup(settings.groupAfterEnvelopes(), settings.groupAfterDuration())
                // A failed group fails the projection; it restarts from its last stored offset after a backoff.
                .withRecoveryStrategy(HandlerRecoveryStrategy.fail())
                .withRestartBackoff(settings.minBackoff(), settings.maxBackoff(), settings.backoffRandomFactor());
    }
}
