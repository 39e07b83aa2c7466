package dev.baton.engine.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.pattern.StatusReply;
import akka.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import com.typesafe.config.ConfigFactory;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TaskCatalogTest {

    private static ActorTestKit testKit;
    private EventSourcedBehaviorTestKit<TaskCatalog.Command, TaskCatalog.Event, TaskCatalog.State> catalog;

    private static final TaskDefinition HELLO = new TaskDefinition("hello-world", null, null, null, null);

    @BeforeAll
    static void start() {
        testKit = ActorTestKit.create(
                "TaskCatalogTest", EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.load()));
    }

    @AfterAll
    static void stop() {
        testKit.shutdownTestKit();
    }

    @BeforeEach
    void fresh() {
        catalog = EventSourcedBehaviorTestKit.create(
                testKit.system(), new TaskCatalog("env_1"), EventSourcedBehaviorTestKit.enabledSerializationSettings());
    }

    @Test
    void unknownTasksAreNotFound() {
        var result = catalog.<StatusReply<TaskDefinition>>runCommand(r -> new TaskCatalog.GetTask("nope", r));
        assertTrue(result.hasNoEvents());
        assertTrue(result.reply().isError());
    }

    @Test
    void declaringPersistsOnlyWhatChangedAndTheNewestWins() {
        var first = catalog.<Long>runCommand(r -> new TaskCatalog.DeclareTasks(List.of(HELLO), "v1", r));
        assertEquals(
                List.of(
                        new TaskCatalog.TaskDeclared(HELLO),
                        new TaskCatalog.VersionRegistered("v1", List.of("hello-world"))),
                first.events());
        assertEquals(1L, first.reply());

        var again = catalog.<Long>runCommand(r -> new TaskCatalog.DeclareTasks(List.of(HELLO), "v1", r));
        assertTrue(again.hasNoEvents());
        assertEquals(1L, again.reply());

        TaskDefinition changed =
                new TaskDefinition("hello-world", "greetings", 3, RetryPolicy.DEFAULT.withMaxAttempts(5), 60);
        var second = catalog.<Long>runCommand(r -> new TaskCatalog.DeclareTasks(List.of(HELLO, changed), "v1", r));
        assertEquals(List.of(new TaskCatalog.TaskDeclared(changed)), second.events());

        catalog.restart();
        var found = catalog.<StatusReply<TaskDefinition>>runCommand(r -> new TaskCatalog.GetTask("hello-world", r));
        assertEquals(changed, found.reply().getValue());
    }

    @Test
    void versionsAreNumberedInTheOrderTheyFirstRegisteredAlsoAfterARestart() {
        TaskDefinition other = new TaskDefinition("other-task", null, null, null, null);
        assertEquals(
                1L,
                catalog.<Long>runCommand(r -> new TaskCatalog.DeclareTasks(List.of(HELLO), "20250101.1", r))
                        .reply());
        assertEquals(
                2L,
                catalog.<Long>runCommand(r -> new TaskCatalog.DeclareTasks(List.of(HELLO, other), "20250101.2", r))
                        .reply());
        catalog.restart();
        // The older version connecting again keeps its number: it is not the newer one for being seen last.
        assertEquals(
                1L,
                catalog.<Long>runCommand(r -> new TaskCatalog.DeclareTasks(List.of(HELLO), "20250101.1", r))
                        .reply());
        var hello = catalog.<TaskCatalog.TaskLookup>runCommand(r -> new TaskCatalog.LookUpTask("hello-world", r));
        assertEquals(java.util.Set.of("20250101.1", "20250101.2"), hello.reply().versions());
        var onlyNew = catalog.<TaskCatalog.TaskLookup>runCommand(r -> new TaskCatalog.LookUpTask("other-task", r));
        assertEquals(java.util.Set.of("20250101.2"), onlyNew.reply().versions());
        var never = catalog.<TaskCatalog.TaskLookup>runCommand(r -> new TaskCatalog.LookUpTask("never", r));
        assertEquals(null, never.reply().task());
        assertTrue(never.reply().versions().isEmpty());
    }

    @Test
    void aWorkerNamingNoVersionGetsTheHashOfItsDeclarations() {
        TaskDefinition changed = new TaskDefinition("hello-world", null, 2, null, null);
        String hashed = TaskCatalog.contentVersion(List.of(HELLO));
        assertEquals(hashed, TaskCatalog.contentVersion(List.of(HELLO)));
        assertTrue(!hashed.equals(TaskCatalog.contentVersion(List.of(changed))));
        catalog.<Long>runCommand(r -> new TaskCatalog.DeclareTasks(List.of(HELLO), null, r));
        var lookup = catalog.<TaskCatalog.TaskLookup>runCommand(r -> new TaskCatalog.LookUpTask("hello-world", r));
        assertEquals(java.util.Set.of(hashed), lookup.reply().versions());
    }

    @Test
    void definitionsAreValidatedAndDefaulted() {
        assertEquals("task/hello-world", HELLO.queue());
        assertEquals(RetryPolicy.DEFAULT, HELLO.retry());
        assertThrows(IllegalArgumentException.class, () -> new TaskDefinition("bad id!", null, null, null, null));
        assertThrows(IllegalArgumentException.class, () -> new TaskDefinition("-x", null, null, null, null));
        assertThrows(IllegalArgumentException.class, () -> new TaskDefinition("ok", null, -1, null, null));
    }
}
