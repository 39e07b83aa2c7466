package dev.baton.engine.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.engine.common.Ids;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.task.TaskDefinition;
import dev.baton.engine.testkit.TestNode;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * How the run service resolves versions against a real task catalog: an explicit lock must name a version declaring
 * the task, an inherited one locks only where it does, and an undeclared task makes a PENDING_VERSION run.
 */
class RunServiceVersionsTest {

    private static TestNode node;
    private static Environment environment;

    @BeforeAll
    static void start() throws Exception {
        node = TestNode.start("RunServiceVersionsTest");
        environment = node.createEnvironment("versions", "dev", "tr_dev_versions", "bw_versions");
        await(node.engine()
                .declareVersion(
                        environment.id(), "1.0", List.of(new TaskDefinition("parent", null, null, null, null))));
        await(node.engine()
                .declareVersion(
                        environment.id(),
                        "2.0",
                        List.of(
                                new TaskDefinition("parent", null, null, null, null),
                                new TaskDefinition("child", "children", null, null, null))));
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    private static <T> T await(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private static RunState child(String taskId, String parentVersion, String lock) throws Exception {
        TriggerRequest request =
                TriggerRequest.builder(taskId).lockToVersion(lock).build();
        return await(node.engine()
                .runs()
                .triggerWithId(environment.id(), request, Ids.newId("run"), RunLineage.ROOT, parentVersion));
    }

    @Test
    void anExplicitLockMustNameAVersionDeclaringTheTask() throws Exception {
        assertEquals("1.0", child("parent", null, "1.0").spec().lockedToVersion());
        ExecutionException refused = assertThrows(ExecutionException.class, () -> child("child", null, "1.0"));
        assertTrue(refused.getCause() instanceof RunRejectedException, String.valueOf(refused.getCause()));
        assertEquals(RunRejectedException.Reason.UNKNOWN_VERSION, ((RunRejectedException) refused.getCause()).reason());
        assertEquals(
                "Task 'child' not found on locked version '1.0'.",
                refused.getCause().getMessage());
    }

    @Test
    void aChildTakesItsParentsVersionOnlyWhereThatVersionDeclaresItsTask() throws Exception {
        assertEquals("2.0", child("child", "2.0", null).spec().lockedToVersion());
        RunState unlocked = child("child", "1.0", null);
        assertNull(unlocked.spec().lockedToVersion(), "1.0 does not declare child: the newest serving it takes it");
        assertEquals("children", unlocked.spec().queue());
        assertEquals("2.0", child("child", "1.0", "2.0").spec().lockedToVersion(), "its own lock wins");
    }

    @Test
    void aTaskNoVersionDeclaresMakesAPendingVersionRun() throws Exception {
        RunState pending = child("nobody-declares-this", "2.0", null);
        assertEquals(RunStatus.PENDING_VERSION, pending.status());
        assertNull(pending.spec().lockedToVersion());
    }
}
