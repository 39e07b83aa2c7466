package dev.baton.engine.logs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import dev.baton.engine.storage.Database;
import dev.baton.engine.testkit.TestDatabases;
import dev.baton.engine.testkit.TestNode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** {@link RunLogs} on a one-node cluster: the writer stores and notifies, and the sweep singleton ages lines out. */
class RunLogsSweepTest {

    @Test
    void linesAreStoredAnnouncedAndSweptAfterTheirMaxAge() throws Exception {
        TestNode node = TestNode.start(
                "run-logs-sweep",
                ConfigFactory.parseString("baton.logs.max-age = 2s\nbaton.logs.sweep-interval = 200ms"));
        Database database = Database.open(TestDatabases.dbConfig(TestDatabases.freshH2("sweep")));
        try {
            RunLogs logs = RunLogs.create(node.system(), database, Clock.systemUTC());
            List<RunLogsAppended> notices = new CopyOnWriteArrayList<>();
            logs.feed().subscribe("env_a", notices::add);
            TestNode.sleep(Duration.ofMillis(500)); // the topic learns of its subscriber through the receptionist

            logs.writer()
                    .offer(
                            "env_a",
                            List.of(new LogLine(
                                    "run_1", "att_1", 1, Instant.now(), LogLevel.INFO, "soon gone", null, null)));
            awaitTrue(() -> read(logs).size() == 1);
            awaitTrue(() -> notices.contains(new RunLogsAppended("env_a", "run_1")));
            assertEquals("soon gone", read(logs).get(0).line().message());

            awaitTrue(() -> read(logs).isEmpty()); // two seconds later the singleton's sweep deleted it
        } finally {
            node.close();
            database.close();
        }
    }

    private static List<StoredLogLine> read(RunLogs logs) {
        try {
            return logs.read("env_a", "run_1", null, null, 0, 10)
                    .toCompletableFuture()
                    .get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void awaitTrue(Supplier<Boolean> condition) {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(15));
        while (!condition.get()) {
            if (Instant.now().isAfter(deadline)) throw new AssertionError("timed out");
            TestNode.sleep(Duration.ofMillis(50));
        }
    }
}
