package dev.baton.engine.logs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.engine.storage.Database;
import dev.baton.engine.testkit.TestDatabases;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The log table on both stores: order, filters, the per-run cap and its marker, and the age sweep. */
class RunLogStoreTest {

    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");

    private Database database;
    private final AtomicReference<Instant> now = new AtomicReference<>(T0);
    private final Clock clock = new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now.get();
        }
    };

    private RunLogStore open(String store, int maxLinesPerRun) {
        String url = store.equals("h2") ? TestDatabases.freshH2("logs") : TestDatabases.freshPostgresSchema("logs");
        database = Database.open(TestDatabases.dbConfig(url));
        database.runSchemaScript(RunLogStore.SCHEMA_SCRIPT);
        database.runSchemaScript(RunLogStore.SCHEMA_SCRIPT); // created in place, again and again
        return new RunLogStore(database.dataSource(), clock, maxLinesPerRun);
    }

    @AfterEach
    void close() {
        if (database != null) database.close();
    }

    private static LogLine line(String runId, int attempt, LogLevel level, String message) {
        return new LogLine(
                runId,
                "att_" + runId + "_" + attempt,
                attempt,
                T0,
                level,
                message,
                "{\"n\":\"" + message + "\"}",
                null);
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void linesComeBackInOrderPerRunWithFilters(String store) {
        RunLogStore logs = open(store, 100);
        Set<String> runs = logs.append(
                "env_a",
                List.of(
                        line("run_1", 1, LogLevel.INFO, "one"),
                        line("run_2", 1, LogLevel.INFO, "other run"),
                        line("run_1", 1, LogLevel.ERROR, "two")));
        assertEquals(Set.of("run_1", "run_2"), runs);
        logs.append("env_a", List.of(line("run_1", 2, LogLevel.DEBUG, "three")));

        List<StoredLogLine> all = logs.read("env_a", "run_1", null, null, 0, 100);
        assertEquals(List.of("one", "two", "three"), messages(all));
        assertEquals(
                List.of(1, 1, 2),
                all.stream().map(s -> s.line().attemptNumber()).toList());
        assertEquals("{\"n\":\"one\"}", all.get(0).line().attributesJson());
        assertEquals(List.of("three"), messages(logs.read("env_a", "run_1", 2, null, 0, 100)));
        assertEquals(List.of("two"), messages(logs.read("env_a", "run_1", null, LogLevel.WARN, 0, 100)));
        assertEquals(
                List.of("two", "three"),
                messages(logs.read("env_a", "run_1", null, null, all.get(0).seq(), 100)));
        assertEquals(List.of("one"), messages(logs.read("env_a", "run_1", null, null, 0, 1)));
        assertEquals(List.of(), logs.read("env_b", "run_1", null, null, 0, 100), "another environment sees nothing");
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void aRunKeepsAtMostItsCapPlusOneMarker(String store) {
        RunLogStore logs = open(store, 5);
        List<LogLine> first = new ArrayList<>();
        for (int i = 1; i <= 3; i++) first.add(line("run_1", 1, LogLevel.INFO, "line " + i));
        logs.append("env_a", first);
        List<LogLine> second = new ArrayList<>();
        for (int i = 4; i <= 9; i++) second.add(line("run_1", 1, LogLevel.INFO, "line " + i));
        logs.append("env_a", second);
        logs.append("env_a", List.of(line("run_1", 2, LogLevel.INFO, "after the cap")));
        logs.append("env_a", List.of(line("run_2", 1, LogLevel.INFO, "another run is not capped")));

        List<StoredLogLine> stored = logs.read("env_a", "run_1", null, null, 0, 100);
        assertEquals(6, stored.size(), () -> String.valueOf(messages(stored)));
        assertEquals(List.of("line 1", "line 2", "line 3", "line 4", "line 5"), messages(stored.subList(0, 5)));
        LogLine marker = stored.get(5).line();
        assertEquals(LogLevel.WARN, marker.level());
        assertTrue(marker.message().contains("log limit of 5 lines per run reached"), marker.message());
        assertTrue(marker.attributesJson().contains("\"maxLinesPerRun\":5"), marker.attributesJson());
        assertEquals(1, logs.read("env_a", "run_2", null, null, 0, 100).size());
    }

    /** Two nodes' writers storing lines of the same new runs at once: both create counters, one row each wins. */
    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void concurrentWritersOfTheSameNewRunsLoseNoLineAndKeepTheCount(String store) throws Exception {
        RunLogStore logs = open(store, 1_000);
        int runs = 300;
        int rounds = 5;
        java.util.concurrent.ExecutorService writers = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            List<java.util.concurrent.Future<?>> done = new ArrayList<>();
            for (int writer = 0; writer < 2; writer++) {
                int w = writer;
                done.add(writers.submit(() -> {
                    for (int round = 0; round < rounds; round++) {
                        List<LogLine> batch = new ArrayList<>();
                        for (int run = 0; run < runs; run++)
                            batch.add(line("run_" + run, 1, LogLevel.INFO, "w" + w + " r" + round));
                        logs.append("env_a", batch);
                    }
                }));
            }
            for (var future : done) future.get(60, java.util.concurrent.TimeUnit.SECONDS);
        } finally {
            writers.shutdownNow();
        }
        for (int run = 0; run < runs; run += 37) {
            List<StoredLogLine> stored = logs.read("env_a", "run_" + run, null, null, 0, 100);
            assertEquals(2 * rounds, stored.size(), "run_" + run);
        }
        RunLogStore capped = new RunLogStore(database.dataSource(), clock, 2 * rounds + 1);
        capped.append(
                "env_a", List.of(line("run_0", 1, LogLevel.INFO, "fits"), line("run_0", 1, LogLevel.INFO, "cut")));
        List<StoredLogLine> run0 = logs.read("env_a", "run_0", null, null, 0, 100);
        assertEquals("fits", run0.get(2 * rounds).line().message(), "the counter counted every line");
        assertTrue(run0.get(2 * rounds + 1).line().message().contains("log limit"), "then the cap's marker");
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgres"})
    void theSweepDeletesLinesStoredBeforeTheCutoff(String store) {
        RunLogStore logs = open(store, 100);
        logs.append("env_a", List.of(line("run_old", 1, LogLevel.INFO, "old")));
        now.set(T0.plus(Duration.ofHours(2)));
        logs.append("env_a", List.of(line("run_new", 1, LogLevel.INFO, "new")));
        now.set(T0.plus(Duration.ofHours(3)));

        assertEquals(1, logs.deleteStoredBefore(T0.plus(Duration.ofHours(1))));
        assertEquals(List.of(), logs.read("env_a", "run_old", null, null, 0, 100));
        assertEquals(List.of("new"), messages(logs.read("env_a", "run_new", null, null, 0, 100)));
        // the old run's counter went with its lines: it may log again, from zero
        logs.append("env_a", List.of(line("run_old", 2, LogLevel.INFO, "again")));
        assertEquals(List.of("again"), messages(logs.read("env_a", "run_old", null, null, 0, 100)));
    }

    private static List<String> messages(List<StoredLogLine> lines) {
        return lines.stream().map(s -> s.line().message()).toList();
    }
}
