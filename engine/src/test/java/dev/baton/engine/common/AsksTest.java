package dev.baton.engine.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import scala.concurrent.Promise;
import scala.jdk.javaapi.FutureConverters;

class AsksTest {

    @Test
    void theAnswerAndTheStagesAfterItArriveOnTheThreadThatCompletesTheAsk() throws Exception {
        Promise<String> answer = Promise.apply();
        AtomicReference<Thread> stageThread = new AtomicReference<>();
        CompletableFuture<String> direct = Asks.direct(FutureConverters.asJava(answer.future()))
                .thenApply(value -> {
                    stageThread.set(Thread.currentThread());
                    return value + "!";
                });

        answer.success("done");

        assertEquals("done!", direct.get());
        assertSame(Thread.currentThread(), stageThread.get(), "no hop to the common pool");
    }

    @Test
    void aFailedAskFailsThePlainFutureWithItsCause() {
        Promise<String> answer = Promise.apply();
        CompletableFuture<String> direct = Asks.direct(FutureConverters.asJava(answer.future()));
        IllegalStateException failure = new IllegalStateException("timed out");

        answer.failure(failure);

        ExecutionException thrown = assertThrows(ExecutionException.class, direct::get);
        assertSame(failure, thrown.getCause());
    }
}
