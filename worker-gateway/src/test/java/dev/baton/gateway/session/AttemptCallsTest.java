package dev.baton.gateway.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AttemptCallsTest {

    private final List<String> issued = new ArrayList<>();
    private final AttemptCalls calls = new AttemptCalls((runId, attemptId, call) ->
            issued.add(attemptId + ":" + call.getClass().getSimpleName()));

    @Test
    void issuesOneCallPerAttemptAtATimeInOrder() {
        calls.submit("run_1", "a", new AttemptCall.Start(null));
        calls.submit("run_1", "a", new AttemptCall.Complete("1", null));
        calls.submit("run_2", "b", new AttemptCall.Start(null));
        assertEquals(List.of("a:Start", "b:Start"), issued);

        calls.answered("a");
        assertEquals(List.of("a:Start", "b:Start", "a:Complete"), issued);
        calls.answered("a");
        calls.answered("b");
        assertTrue(calls.idle());
    }

    @Test
    void coalescesHeartbeatsWaitingBehindEachOther() {
        calls.submit("run_1", "a", new AttemptCall.Start(null));
        calls.submit("run_1", "a", new AttemptCall.Beat());
        calls.submit("run_1", "a", new AttemptCall.Beat());
        calls.submit("run_1", "a", new AttemptCall.Beat());
        calls.answered("a");
        calls.answered("a");
        assertEquals(List.of("a:Start", "a:Beat"), issued);
        assertTrue(calls.idle());
    }

    @Test
    void dropsWhatWaitsBehindAFencedAttemptAndKeepsOnlyAnswersWhenDraining() {
        calls.submit("run_1", "a", new AttemptCall.Start(null));
        calls.submit("run_1", "a", new AttemptCall.Beat());
        assertEquals(1, calls.dropWaiting("a").size());

        calls.submit("run_2", "b", new AttemptCall.Start(null));
        calls.submit("run_2", "b", new AttemptCall.Beat());
        calls.submit("run_2", "b", new AttemptCall.Fail(null, true, null));
        calls.keepOnlyAnswers();
        calls.answered("a");
        calls.answered("b");
        assertEquals(List.of("a:Start", "b:Start", "b:Fail"), issued);
        assertFalse(calls.idle());
        calls.answered("b");
        assertTrue(calls.idle());
    }
}
