package dev.baton.engine.run;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** A worker's message names its run; only a well-formed run id may reach (and so start) a run entity. */
class RunIdShapeTest {

    @Test
    void takesRunIdsAndNothingElse() {
        assertTrue(RunService.looksLikeRunId("run_0a9z"));
        assertTrue(RunService.looksLikeRunId("run_" + "a".repeat(64)));
        assertFalse(RunService.looksLikeRunId(null));
        assertFalse(RunService.looksLikeRunId("run_"));
        assertFalse(RunService.looksLikeRunId("run_" + "a".repeat(65)));
        assertFalse(RunService.looksLikeRunId("run_ABC"));
        assertFalse(RunService.looksLikeRunId("run_a/b"));
        assertFalse(RunService.looksLikeRunId("xrun_a"));
        assertFalse(RunService.looksLikeRunId("run_a\n"));
    }
}
