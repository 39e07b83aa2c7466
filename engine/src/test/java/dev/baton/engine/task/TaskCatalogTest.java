package dev.baton.engine.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.Done;
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
        var first = catalog.<Done>runCommand(r -> new TaskCatalog.DeclareTasks(List.of(HELLO), r));
        assertEquals(List.of(new TaskCatalog.TaskDeclared(HELLO)), first.events());

        assertTrue(catalog.<Done>runCommand(r -> new TaskCatalog.DeclareTasks(List.of(HELLO), r))
                .hasNoEvents());

        TaskDefinition changed =
                new TaskDefinition("hello-world", "greetings", 3, RetryPolicy.DEFAULT.withMaxAttempts(5), 60);
        var second = catalog.<Done>runCommand(r -> new TaskCatalog.DeclareTasks(List.of(HELLO, changed), r));
        assertEquals(List.of(new TaskCatalog.TaskDeclared(changed)), second.events());

        catalog.restart();
        var found = catalog.<StatusReply<TaskDefinition>>runCommand(r -> new TaskCatalog.GetTask("hello-world", r));
        assertEquals(changed, found.reply().getValue());
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
