package dev.baton.engine.storage;

import akka.actor.typed.javadsl.Adapter;
import akka.persistence.AtomicWrite;
import akka.persistence.jdbc.config.JournalConfig;
import akka.persistence.jdbc.journal.dao.DefaultJournalDao;
import akka.serialization.Serialization;
import akka.stream.Materializer;
import dev.baton.engine.metrics.BatonMetrics;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;
import scala.collection.immutable.Seq;
import scala.concurrent.ExecutionContext;
import scala.concurrent.Future;
import scala.jdk.javaapi.FutureConverters;
import scala.runtime.BoxedUnit;
import scala.util.Try;
import slick.jdbc.JdbcBackend;
import slick.jdbc.JdbcProfile;

/**
 * The journal's DAO, answering the recovery of an entity this node has just created ({@link NewEntities})
 * without a query: every trigger starts a new run entity, and its highest-sequence-number query was one of
 * the two database round trips of a trigger. It also tells {@link StoreAvailability} when a write or a
 * recovery failed, so the node stops accepting runs while the database is unreachable. Configured as
 * {@code jdbc-journal.dao}.
 */
public class NewEntityJournalDao extends DefaultJournalDao {

    private static final Future<Object> EMPTY_JOURNAL = Future.successful(0L);

    private final NewEntities newEntities;
    private final StoreAvailability availability;
    private final Timer writes;
    private final DistributionSummary writeEvents;

    /** The constructor akka-persistence-jdbc calls reflectively for {@code jdbc-journal.dao}. */
    public NewEntityJournalDao(
            JdbcBackend.DatabaseDef db,
            JdbcProfile profile,
            JournalConfig config,
            Serialization serialization,
            ExecutionContext ec,
            Materializer mat) {
        super(db, profile, config, serialization, ec, mat);
        this.newEntities = NewEntities.get(Adapter.toTyped(serialization.system()));
        this.availability = StoreAvailability.get(Adapter.toTyped(serialization.system()));
        MeterRegistry registry =
                BatonMetrics.get(Adapter.toTyped(serialization.system())).registry();
        this.writes = Timer.builder("baton.journal.writes")
                .description("Journal writes, from the journal handing them over to the database having stored them")
                .publishPercentiles(0.5, 0.95, 0.99)
                .register(registry);
        this.writeEvents = DistributionSummary.builder("baton.journal.write.events")
                .description("Events stored by one journal write (the journal batches the persists that queued up)")
                .register(registry);
    }

    @Override
    public Future<Object> highestSequenceNr(String persistenceId, long fromSequenceNr) {
        if (newEntities.take(persistenceId)) return EMPTY_JOURNAL;
        return reportingFailure(super.highestSequenceNr(persistenceId, fromSequenceNr));
    }

    @Override
    public Future<Seq<Try<BoxedUnit>>> asyncWriteMessages(Seq<AtomicWrite> messages) {
        long started = System.nanoTime();
        int events = 0;
        for (var write = messages.iterator(); write.hasNext(); )
            events += write.next().size();
        writeEvents.record(events);
        Future<Seq<Try<BoxedUnit>>> written = reportingFailure(super.asyncWriteMessages(messages));
        FutureConverters.asJava(written)
                .whenComplete((result, failure) -> writes.record(System.nanoTime() - started, TimeUnit.NANOSECONDS));
        return written;
    }

    private <T> Future<T> reportingFailure(Future<T> call) {
        FutureConverters.asJava(call).whenComplete((result, failure) -> {
            if (failure != null) availability.journalCallFailed(failure);
        });
        return call;
    }
}
