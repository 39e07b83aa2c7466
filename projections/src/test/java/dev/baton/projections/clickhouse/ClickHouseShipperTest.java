package dev.baton.projections.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.baton.engine.logs.LogLevel;
import dev.baton.engine.logs.LogLine;
import dev.baton.engine.logs.RunLogStore;
import dev.baton.engine.storage.Database;
import dev.baton.engine.testkit.MutableClock;
import dev.baton.engine.testkit.TestDatabases;
import dev.baton.projections.Projections;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The log shipper against real PostgreSQL and ClickHouse, on a clock of its own: a line whose transaction commits
 * after a later one is still shipped (a follower of {@code seq > last} would skip it), lines stored out of their seq
 * order are all shipped, and shipping again from offset 0 changes no FINAL count.
 */
class ClickHouseShipperTest {

    private static final Duration WINDOW = Duration.ofSeconds(10);
    private static final Instant T = Instant.parse("2026-03-01T10:00:00Z");

    private static String url;
    private static Database database;
    private static ClickHouseTestServer.Store server;
    private static MutableClock clock;
    private static ClickHouseShipper shipper;

    @BeforeAll
    static void start() {
        url = ClickHouseTestServer.find();
        if (url == null) return;
        database = Database.open(TestDatabases.dbConfig(TestDatabases.freshPostgresSchema("ch_shipper")));
        database.runSchemaScript(Projections.SCHEMA_SCRIPT);
        database.runSchemaScript(RunLogStore.SCHEMA_SCRIPT);
        server = ClickHouseTestServer.store(url, ClickHouseTestServer.freshDatabase("baton_shipper"));
        server.store().ensureSchema().toCompletableFuture().join();
        clock = new MutableClock(T);
        shipper = new ClickHouseShipper(
                database, server.store(), new ClickHouseShipper.Settings(Duration.ofSeconds(1), WINDOW, 2), clock);
    }

    @BeforeEach
    void requireClickHouse() {
        ClickHouseTestServer.requireServer(url);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.dropDatabase();
            server.close();
        }
        if (database != null) database.close();
    }

    private static LogLine line(String runId, String message) {
        return new LogLine(runId, "att_1", 1, T, LogLevel.INFO, message, null, null);
    }

    /** Stores one line as of {@code storedAt} on {@code connection}, in its transaction; returns its seq. */
    private static long insert(Connection connection, String runId, String message, Instant storedAt) throws Exception {
        try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO baton_run_logs(environment_id, run_id,"
                        + " attempt_id, attempt_number, logged_at, stored_at, level, message) VALUES ('env_s', ?,"
                        + " 'att_1', 1, ?, ?, 2, ?)",
                new String[] {"seq"})) {
            insert.setString(1, runId);
            insert.setObject(2, T.atOffset(ZoneOffset.UTC));
            insert.setObject(3, storedAt.atOffset(ZoneOffset.UTC));
            insert.setString(4, message);
            insert.executeUpdate();
            try (var keys = insert.getGeneratedKeys()) {
                keys.next();
                return keys.getLong(1);
            }
        }
    }

    private static List<List<String>> shippedLines() {
        return server.store()
                .select("SELECT seq, run_id, message, level FROM run_logs FINAL ORDER BY seq")
                .rows();
    }

    @Test
    void aLineCommittedLateIsShippedAndShippingAgainChangesNoFinalCount() throws Exception {
        long lateSeq;
        long earlySeq;
        try (Connection late = database.dataSource().getConnection();
                Connection early = database.dataSource().getConnection()) {
            late.setAutoCommit(false);
            lateSeq = insert(late, "run_late", "committed last", T);
            earlySeq = insert(early, "run_early", "committed first", T);
            assertEquals(lateSeq + 1, earlySeq);

            // A naive follower of seq > last ships earlySeq now and never looks below it again.
            clock.advance(WINDOW.dividedBy(2));
            assertEquals(0, shipper.shipAll(), "nothing is old enough to be final yet");
            late.commit();
        }
        // A line stored with an earlier clock reading but a higher seq: a seq offset would pass over runs stored later.
        long outOfOrder;
        try (Connection connection = database.dataSource().getConnection()) {
            outOfOrder = insert(connection, "run_early", "stored earlier", T.minusSeconds(1));
        }
        new RunLogStore(database.dataSource(), clock, 100)
                .append("env_s", List.of(line("run_early", "stored now"), line("run_early", "and this")));

        clock.advance(WINDOW);
        assertEquals(3, shipper.shipAll(), "the three lines stored at T or before; those stored now wait their window");
        assertEquals(
                List.of(
                        List.of(Long.toString(lateSeq), "run_late", "committed last", "INFO"),
                        List.of(Long.toString(earlySeq), "run_early", "committed first", "INFO"),
                        List.of(Long.toString(outOfOrder), "run_early", "stored earlier", "INFO")),
                shippedLines());
        assertEquals(new ShippingOffset(T, Long.toString(earlySeq)), shipper.offset(RunLogsTable.FEED));

        clock.advance(WINDOW.plusSeconds(1));
        assertEquals(2, shipper.shipAll());
        assertEquals(0, shipper.shipAll(), "every line shipped");
        assertEquals(5, shippedLines().size());

        try (Connection connection = database.dataSource().getConnection();
                Statement statement = connection.createStatement()) {
            statement.executeUpdate("DELETE FROM baton_clickhouse_shipping");
        }
        assertEquals(ShippingOffset.START, shipper.offset(RunLogsTable.FEED));
        assertEquals(5, shipper.shipAll(), "shipped again from offset 0");
        List<List<String>> again = shippedLines();
        assertEquals(5, again.size(), "FINAL shows each line once");
    }
}
