package dev.baton.engine.storage;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.persistence.testkit.JournalOperation;
import akka.persistence.testkit.PersistenceTestKitPlugin;
import akka.persistence.testkit.ProcessingSuccess;
import akka.persistence.testkit.StorageFailure;
import akka.persistence.testkit.javadsl.PersistenceTestKit;
import com.typesafe.config.ConfigFactory;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class StoreAvailabilityTest {

    private static final ActorTestKit testKit =
            ActorTestKit.create(PersistenceTestKitPlugin.getInstance().config().withFallback(ConfigFactory.load()));

    @AfterAll
    static void stop() {
        testKit.shutdownTestKit();
    }

    @Test
    void anUnreachableDatabaseEndsWaitingCallsAndRefusesUntilAProbeThroughTheJournalSucceeds() throws Exception {
        AtomicBoolean databaseDown = new AtomicBoolean(true);
        PersistenceTestKit journal = PersistenceTestKit.create(testKit.system());
        journal.withPolicy((String persistenceId, JournalOperation operation) -> databaseDown.get()
                ? new StorageFailure(new SQLTransientConnectionException("Connection is not available"))
                : ProcessingSuccess.getInstance());
        StoreAvailability store = StoreAvailability.get(testKit.system());
        CompletableFuture<String> neverAnswered = store.endedByOutage(new CompletableFuture<>(), store::unavailable);
        assertNull(store.refusal());

        store.journalCallFailed(new RuntimeException(new SQLException("terminating connection", "57P01")));
        ExecutionException ended = assertThrows(ExecutionException.class, () -> neverAnswered.get(5, TimeUnit.SECONDS));
        assertInstanceOf(
                StoreUnavailableException.class, ended.getCause(), "a waiting call ends as soon as it is known");
        assertNotNull(store.refusal());
        assertTrue(
                store.endedByOutage(new CompletableFuture<>(), store::unavailable)
                        .isCompletedExceptionally(),
                "a call started meanwhile ends at once");

        Thread.sleep(1_500); // three probes, each failed by the journal
        assertFalse(store.available(), "a failed probe made the store available");
        databaseDown.set(false);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!store.available() && System.nanoTime() < deadline) Thread.sleep(20);
        assertTrue(store.available(), "no probe made the store available again");
        assertNull(store.refusal());
        CompletableFuture<String> answered =
                store.endedByOutage(CompletableFuture.completedFuture("ok"), store::unavailable);
        assertTrue("ok".equals(answered.get(1, TimeUnit.SECONDS)));
    }

    @Test
    void onlyAFailureToReachTheDatabaseMakesTheStoreUnavailable() {
        assertTrue(StoreAvailability.isUnreachable(new SQLTransientConnectionException("pool timed out")));
        assertTrue(StoreAvailability.isUnreachable(new IllegalStateException(new SQLException("I/O error", "08006"))));
        assertTrue(StoreAvailability.isUnreachable(new SQLException("the database system is starting up", "57P03")));
        assertTrue(StoreAvailability.isUnreachable(new java.net.ConnectException("Connection refused")));
        assertFalse(StoreAvailability.isUnreachable(new SQLException("duplicate key value", "23505")));
        assertFalse(StoreAvailability.isUnreachable(new IllegalArgumentException("not serializable")));
    }
}
