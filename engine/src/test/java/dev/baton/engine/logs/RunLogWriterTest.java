package dev.baton.engine.logs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.engine.storage.Database;
import dev.baton.engine.testkit.TestDatabases;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The node's write queue: what does not fit is dropped, counted, and marked in the attempt's log. */
class RunLogWriterTest {

    private Database database;

    @AfterEach
    void close() {
        if (database != null) database.close();
    }

    @Test
    void linesBeyondTheQueueAreDroppedAndMarked() {
        database = Database.open(TestDatabases.dbConfig(TestDatabases.freshH2("writer")));
        database.runSchemaScript(RunLogStore.SCHEMA_SCRIPT);
        RunLogStore store = new RunLogStore(database.dataSource(), Clock.systemUTC(), 100);
        Queue<Runnable> tasks = new ArrayDeque<>();
        List<RunLogsAppended> notices = new ArrayList<>();
        RunLogWriter writer = new RunLogWriter(store, notices::add, tasks::add, Clock.systemUTC(), 2);

        writer.offer("env_a", List.of(line("a"), line("b")));
        writer.offer("env_a", List.of(line("c"), line("d"), line("e"))); // the queue holds 2: dropped
        assertEquals(3, writer.linesDropped());
        while (!tasks.isEmpty()) tasks.poll().run();

        List<StoredLogLine> stored = store.read("env_a", "run_1", null, null, 0, 100);
        assertEquals(3, stored.size());
        assertEquals("a", stored.get(0).line().message());
        assertEquals("b", stored.get(1).line().message());
        LogLine marker = stored.get(2).line();
        assertTrue(marker.message().startsWith("3 log lines dropped by the node"), marker.message());
        assertTrue(marker.attributesJson().contains("\"droppedLines\":3"), marker.attributesJson());
        assertEquals("att_1", marker.attemptId());
        assertEquals(List.of(new RunLogsAppended("env_a", "run_1")), notices);
        assertEquals(3, writer.linesStored());
    }

    private static LogLine line(String message) {
        return new LogLine("run_1", "att_1", 1, Instant.now(), LogLevel.INFO, message, null, null);
    }
}
