package dev.baton.engine.storage;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class NewEntitiesTest {

    private static final ActorTestKit testKit = ActorTestKit.create();

    @AfterAll
    static void stop() {
        testKit.shutdownTestKit();
    }

    @Test
    void anIdIsTakenOnceAndAForgottenOneNever() {
        NewEntities newEntities = NewEntities.get(testKit.system());
        newEntities.add("Run|run_a");
        newEntities.add("Run|run_b");
        assertTrue(newEntities.take("Run|run_a"), "the first recovery of a new entity skips the query");
        assertFalse(newEntities.take("Run|run_a"), "a later recovery (a restart, a passivation) reads the journal");
        newEntities.forget("Run|run_b");
        assertFalse(newEntities.take("Run|run_b"), "answered before its entity recovered: forgotten");
        assertFalse(newEntities.take("Run|run_c"), "never added");
    }
}
