package dev.baton.projections.runs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.baton.engine.run.RunStatus;
import dev.baton.engine.storage.Database;
import dev.baton.engine.testkit.TestDatabases;
import dev.baton.projections.Projections;
import dev.baton.projections.listing.Page;
import dev.baton.projections.listing.PageRequest;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A database whose baton_runs was created before the list columns existed gets them on the next start
 * (CREATE TABLE IF NOT EXISTS alone would leave the old shape), keeps its rows, and running the script
 * again changes nothing.
 */
class RunSchemaUpgradeTest {

    /** baton_runs as the first read model created it. */
    private static final String OLD_TABLE = """
      CREATE TABLE baton_runs(
        run_id VARCHAR(255) PRIMARY KEY, environment_id VARCHAR(64) NOT NULL, task_id VARCHAR(255) NOT NULL,
        queue VARCHAR NOT NULL, concurrency_key VARCHAR, status VARCHAR(32) NOT NULL, tag VARCHAR(64) NOT NULL,
        attempt_count INTEGER DEFAULT 0 NOT NULL, ttl_ms BIGINT, max_duration_seconds INTEGER,
        created_at TIMESTAMP WITH TIME ZONE NOT NULL, updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
        wake_at TIMESTAMP WITH TIME ZONE, wake_count INTEGER DEFAULT 0 NOT NULL)""";

    static Stream<String> urls() {
        return Stream.of(TestDatabases.freshH2("upgrade"), TestDatabases.freshPostgresSchema("upgrade"));
    }

    @ParameterizedTest
    @MethodSource("urls")
    void anOldTableGetsTheNewColumnsAndKeepsItsRows(String url) throws Exception {
        try (Database database = Database.open(TestDatabases.dbConfig(url))) {
            try (Connection connection = database.dataSource().getConnection();
                    Statement statement = connection.createStatement()) {
                statement.execute(OLD_TABLE);
                statement.execute(
                        "CREATE INDEX baton_runs_environment_status_idx ON baton_runs(environment_id, status)");
                statement.execute(
                        "INSERT INTO baton_runs (run_id, environment_id, task_id, queue, status, tag, created_at,"
                                + " updated_at) VALUES ('run_old', 'env_1', 'task-a', 'task/task-a', 'COMPLETED', "
                                + "'run-0',"
                                + " TIMESTAMP WITH TIME ZONE '2026-01-01 00:00:00+00', TIMESTAMP WITH TIME ZONE "
                                + "'2026-01-01 00:00:00+00')");
            }
            database.runSchemaScript(Projections.SCHEMA_SCRIPT);
            database.runSchemaScript(Projections.SCHEMA_SCRIPT);

            try (Connection connection = database.dataSource().getConnection()) {
                RunRow old = new RunTable(database.dialect())
                        .find(connection, "run_old")
                        .orElseThrow();
                assertEquals(RunStatus.COMPLETED, old.status());
                assertEquals(RunRow.Details.none(), old.details(), "the new columns' defaults");
                Page<RunRow> page = new RunList(database.dataSource(), Runnable::run, java.time.Clock.systemUTC())
                        .page("env_1", RunList.Filter.NONE, new PageRequest(10, null, null));
                assertEquals(
                        List.of("run_old"),
                        page.rows().stream().map(RunRow::runId).toList());
                assertEquals(
                        Instant.parse("2026-01-01T00:00:00Z"),
                        page.rows().get(0).createdAt());
            }
        }
    }
}
