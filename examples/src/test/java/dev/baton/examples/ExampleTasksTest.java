package dev.baton.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.baton.examples.ExampleTasks.FailPayload;
import dev.baton.examples.ExampleTasks.Greeting;
import dev.baton.examples.ExampleTasks.HelloPayload;
import dev.baton.examples.ExampleTasks.ProgressPayload;
import dev.baton.examples.ExampleTasks.Progressed;
import dev.baton.examples.ExampleTasks.SleepPayload;
import dev.baton.examples.ExampleTasks.Slept;
import dev.baton.sdk.task.Task;
import dev.baton.sdk.task.TaskContext;
import java.net.URI;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class ExampleTasksTest {

    private static TaskContext context(String taskId) {
        return new TaskContext("run_1", "att_1", 1, taskId, List.of(), null, "env_dev", "task/" + taskId);
    }

    @Test
    void helloWorldGreets() throws Exception {
        Task<HelloPayload, Greeting> task = ExampleTasks.helloWorld();
        assertEquals("hello-world", task.id());
        assertEquals(new Greeting("Hello, Ada!"), task.handler().run(new HelloPayload("Ada"), context(task.id())));
    }

    @Test
    void sleepSleepsOnAConcurrencyLimitedQueue() throws Exception {
        Task<SleepPayload, Slept> task = ExampleTasks.sleep();
        assertEquals(Optional.of("sleepy"), task.queueName());
        assertEquals(OptionalInt.of(2), task.concurrencyLimit());
        assertEquals(new Slept(5), task.handler().run(new SleepPayload(5), context(task.id())));
    }

    @Test
    void failAlwaysThrowsAndRetriesFast() {
        Task<FailPayload, Void> task = ExampleTasks.fail();
        assertEquals(2, task.retry().maxAttempts());
        assertEquals(100, task.retry().minTimeoutInMs());
        RuntimeException e = assertThrows(
                RuntimeException.class, () -> task.handler().run(new FailPayload("nope"), context(task.id())));
        assertEquals("nope", e.getMessage());
    }

    @Test
    void progressReportsThroughMetadata() throws Exception {
        Task<ProgressPayload, Progressed> task = ExampleTasks.progress();
        assertEquals(OptionalInt.of(1), task.concurrencyLimit());
        assertEquals(OptionalInt.of(4), task.globalConcurrencyLimit());
        TaskContext ctx = context(task.id());
        assertEquals(new Progressed(3), task.handler().run(new ProgressPayload(3, 1), ctx));
        assertEquals(3, ctx.metadata().at("/progress/done").asInt());
        assertEquals(3, ctx.metadata().at("/progress/total").asInt());
        assertEquals(7, ExampleTasks.all().size());
    }

    @Test
    void waitWaitsAndReportsHowLong() throws Exception {
        Task<ExampleTasks.WaitPayload, ExampleTasks.Waited> task = ExampleTasks.waitTask();
        assertEquals("wait", task.id());
        // a context built by a test sleeps instead of suspending
        assertEquals(
                new ExampleTasks.Waited(0), task.handler().run(new ExampleTasks.WaitPayload(0), context(task.id())));
    }

    @Test
    void fanOutAndApprovalNeedAWorker() {
        Task<ExampleTasks.FanOutPayload, ExampleTasks.Greetings> fanOut = ExampleTasks.fanOut();
        assertEquals("fan-out", fanOut.id());
        assertThrows(
                UnsupportedOperationException.class,
                () -> fanOut.handler().run(new ExampleTasks.FanOutPayload(2), context(fanOut.id())));
        assertThrows(
                IllegalArgumentException.class,
                () -> fanOut.handler().run(new ExampleTasks.FanOutPayload(1001), context(fanOut.id())));

        var approval = ExampleTasks.approval();
        assertEquals("approval", approval.id());
        assertEquals(1, approval.retry().maxAttempts());
        assertThrows(
                UnsupportedOperationException.class,
                () -> approval.handler().run(new ExampleTasks.ApprovalPayload("waitpoint_1"), context(approval.id())));
        assertThrows(
                IllegalArgumentException.class,
                () -> approval.handler().run(new ExampleTasks.ApprovalPayload(null), context(approval.id())));
    }

    @Test
    void workerOptionsParseTheCommandLine() {
        ExampleWorker.Options options = ExampleWorker.Options.parse(
                new String[] {"--url", "http://node:9090", "--worker-token", "wt_1", "--slots", "3"});
        assertEquals(new ExampleWorker.Options(List.of(URI.create("http://node:9090")), "wt_1", 3), options);
        assertEquals(
                List.of(URI.create("http://a:8080"), URI.create("http://b:8080")),
                ExampleWorker.Options.parse(
                                new String[] {"--url", "http://a:8080, http://b:8080,", "--worker-token", "t"})
                        .urls());
        assertThrows(
                IllegalArgumentException.class,
                () -> ExampleWorker.Options.parse(new String[] {"--url", " , ", "--worker-token", "t"}));
        assertThrows(
                IllegalArgumentException.class,
                () -> ExampleWorker.Options.parse(new String[] {"--worker-token", "t", "--slots", "many"}));
        assertThrows(
                IllegalArgumentException.class,
                () -> ExampleWorker.Options.parse(new String[] {"--worker-token", "t", "--bogus", "1"}));
    }
}
