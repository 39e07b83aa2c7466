package dev.baton.projections.batches;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import akka.persistence.query.Offset;
import akka.projection.eventsourced.EventEnvelope;
import dev.baton.engine.batch.BatchEntity;
import dev.baton.engine.batch.BatchEntity.BatchCreated;
import dev.baton.engine.batch.BatchEntity.Event;
import dev.baton.engine.batch.BatchEntity.ItemsRecorded;
import dev.baton.engine.batch.BatchEntity.RecordedItem;
import dev.baton.engine.batch.BatchStatus;
import dev.baton.engine.storage.Database;
import dev.baton.engine.testkit.TestDatabases;
import dev.baton.projections.ProjectionDatabases;
import dev.baton.projections.listing.ListCursor;
import dev.baton.projections.listing.Page;
import dev.baton.projections.listing.PageRequest;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The batch index and list on PostgreSQL and H2: batch events folded by the handler (a group delivered twice changes
 * nothing), then every filter walked forwards and back in keyset pages, compared with a plain Java filter of the
 * batches.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BatchListTest {

    private static final Instant START = Instant.parse("2026-03-01T12:00:00Z");
    private static final Clock NOW = Clock.fixed(START.plus(Duration.ofMinutes(40)), ZoneOffset.UTC);

    private final Map<String, Database> databases = new LinkedHashMap<>();
    /** The batches each test environment holds, as the index should show them. */
    private final List<BatchRow> expected = new ArrayList<>();

    @BeforeAll
    void start() throws Exception {
        databases.put("h2", ProjectionDatabases.open(TestDatabases.freshH2("batches")));
        databases.put("postgres", ProjectionDatabases.open(TestDatabases.freshPostgresSchema("batches")));
        List<EventEnvelope<Event>> journal = journal();
        for (Database database : databases.values()) {
            database.runSchemaScript(BatchIndexProjection.SCHEMA_SCRIPT);
            BatchIndexHandler handler = new BatchIndexHandler(new BatchTable(database.dialect()));
            for (int from = 0; from < journal.size(); from += 7) {
                List<EventEnvelope<Event>> group = journal.subList(from, Math.min(journal.size(), from + 7));
                inTransaction(database, connection -> handler.apply(connection, group));
                // Delivered again after a crash before the offset was stored: nothing may count twice.
                inTransaction(database, connection -> handler.apply(connection, group));
            }
        }
    }

    @AfterAll
    void stop() {
        databases.values().forEach(Database::close);
    }

    Stream<String> databaseNames() {
        return Stream.of("h2", "postgres");
    }

    /**
     * 40 batches a minute apart: in env_a the even ones, in env_b the odd ones; batch i has i % 4 + 1 items, of which
     * every item is recorded when i % 3 != 0 (an unknown task for i % 5 == 0), none otherwise.
     */
    private List<EventEnvelope<Event>> journal() {
        List<EventEnvelope<Event>> envelopes = new ArrayList<>();
        long offset = 0;
        for (int i = 0; i < 40; i++) {
            String batchId = "batch_%02d".formatted(i);
            String environment = i % 2 == 0 ? "env_a" : "env_b";
            int runCount = i % 4 + 1;
            Instant created = START.plus(Duration.ofMinutes(i));
            envelopes.add(
                    envelope(++offset, batchId, 1, new BatchCreated(batchId, environment, runCount, null, created)));
            BatchStatus status = BatchStatus.PENDING;
            int runs = 0;
            int errors = 0;
            Instant updated = created;
            Instant completed = null;
            long seqNr = 1;
            if (i % 3 != 0) {
                // Recorded one item per event, so a batch's row changes across groups.
                for (int item = 0; item < runCount; item++) {
                    boolean failed = i % 5 == 0 && item == 0;
                    RecordedItem recorded = failed
                            ? RecordedItem.failed(item, "unknown", "Task not found")
                            : RecordedItem.created(item, "task", batchId + "_run_" + item);
                    updated = created.plusSeconds(item + 1);
                    envelopes.add(envelope(++offset, batchId, ++seqNr, new ItemsRecorded(List.of(recorded), updated)));
                    if (failed) errors++;
                    else runs++;
                }
                completed = updated;
                status = errors == 0 ? BatchStatus.COMPLETED : BatchStatus.PARTIAL_FAILED;
            }
            expected.add(new BatchRow(
                    batchId, environment, status, runCount, runs, errors, null, created, updated, completed, seqNr));
        }
        return envelopes;
    }

    private static EventEnvelope<Event> envelope(long offset, String batchId, long seqNr, Event event) {
        return EventEnvelope.create(
                Offset.sequence(offset), BatchEntity.persistenceId(batchId).id(), seqNr, event, 0L);
    }

    @ParameterizedTest
    @MethodSource("databaseNames")
    void theIndexHoldsEachBatchOnceWithItsCounts(String db) throws Exception {
        Database database = databases.get(db);
        try (Connection connection = database.dataSource().getConnection()) {
            Map<String, BatchRow> rows = new BatchTable(database.dialect())
                    .load(connection, expected.stream().map(BatchRow::batchId).toList());
            assertEquals(expected.size(), rows.size());
            for (BatchRow row : expected) assertEquals(row, rows.get(row.batchId()), row.batchId());
        }
    }

    @ParameterizedTest
    @MethodSource("databaseNames")
    void everyFilterPagesForwardAndBackExactly(String db) throws Exception {
        BatchList list = new BatchList(databases.get(db).dataSource(), Runnable::run, NOW);
        check(list, "env_a", BatchList.Filter.NONE, row -> true);
        check(list, "env_b", BatchList.Filter.NONE, row -> true);
        check(
                list,
                "env_a",
                new BatchList.Filter(Set.of(BatchStatus.COMPLETED, BatchStatus.PARTIAL_FAILED), null, null, null),
                row -> row.status() == BatchStatus.COMPLETED || row.status() == BatchStatus.PARTIAL_FAILED);
        check(
                list,
                "env_b",
                new BatchList.Filter(Set.of(BatchStatus.PENDING), null, null, null),
                row -> row.status() == BatchStatus.PENDING);
        // Created within the last 15 minutes of NOW (batches 25..39), and a from/before window (10..19).
        check(
                list,
                "env_b",
                new BatchList.Filter(null, null, null, Duration.ofMinutes(15)),
                row -> !row.createdAt().isBefore(NOW.instant().minus(Duration.ofMinutes(15))));
        Instant from = START.plus(Duration.ofMinutes(10));
        Instant before = START.plus(Duration.ofMinutes(20));
        check(
                list,
                "env_a",
                new BatchList.Filter(null, from, before, null),
                row -> !row.createdAt().isBefore(from) && row.createdAt().isBefore(before));
        assertEquals(
                0,
                list.page("env_c", BatchList.Filter.NONE, new PageRequest(10, null, null))
                        .rows()
                        .size(),
                "another environment's batches never show");
    }

    /** Walks every page of 3 forwards, then back from the last, against the expected batches newest first. */
    private void check(BatchList list, String environment, BatchList.Filter filter, Predicate<BatchRow> matches)
            throws Exception {
        List<BatchRow> wanted = expected.stream()
                .filter(row -> row.environmentId().equals(environment))
                .filter(matches)
                .sorted(Comparator.comparing(BatchRow::createdAt).reversed())
                .toList();
        List<BatchRow> forwards = new ArrayList<>();
        List<Page<BatchRow>> pages = new ArrayList<>();
        ListCursor after = null;
        do {
            Page<BatchRow> page = list.page(environment, filter, new PageRequest(3, after, null));
            pages.add(page);
            forwards.addAll(page.rows());
            after = page.next();
        } while (after != null);
        assertEquals(wanted, forwards, environment + " " + filter);
        assertNull(pages.get(0).previous(), "the first page has no newer one");

        List<BatchRow> backwards = new ArrayList<>(pages.get(pages.size() - 1).rows());
        ListCursor before = pages.get(pages.size() - 1).previous();
        while (before != null) {
            Page<BatchRow> page = list.page(environment, filter, new PageRequest(3, null, before));
            backwards.addAll(0, page.rows());
            before = page.previous();
        }
        assertEquals(wanted, backwards, "paging back, " + environment + " " + filter);
    }

    @FunctionalInterface
    private interface ConnectionWork {
        void run(Connection connection) throws Exception;
    }

    private static void inTransaction(Database database, ConnectionWork work) throws Exception {
        try (Connection connection = database.dataSource().getConnection()) {
            connection.setAutoCommit(false);
            work.run(connection);
            connection.commit();
        }
    }
}
