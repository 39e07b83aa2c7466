package dev.baton.engine.run;

import dev.baton.engine.common.CborSerializable;
import dev.baton.engine.common.Ids;
import dev.baton.engine.worker.StepResult;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;

/**
 * What a suspended run waits for. The run holds no worker slot and no concurrency slot meanwhile;
 * when the wait is resolved its result is memoized under {@code key} and the run is queued again.
 *
 * @param key the operation's key in the run (unique per run, chosen by the worker)
 * @param until a {@link Kind#DURATION} wait's end
 * @param tokenId a {@link Kind#TOKEN} wait's waitpoint token
 * @param children a {@link Kind#RUNS} wait's child runs to trigger, in order
 * @param batchId the batch of a {@link Kind#RUNS} wait started by {@code batchTriggerAndWait}, else null
 * @param resolved the results of the child runs that finished, by index
 */
public record Wait(
        String key,
        Kind kind,
        Instant until,
        String tokenId,
        List<TriggerRequest> children,
        String batchId,
        Map<Integer, StepResult> resolved)
        implements CborSerializable {

    public enum Kind {
        DURATION,
        TOKEN,
        RUNS
    }

    public Wait {
        children = children == null ? List.of() : List.copyOf(children);
        resolved = resolved == null ? Map.of() : Map.copyOf(resolved);
    }

    public static Wait duration(String key, Instant until) {
        return new Wait(key, Kind.DURATION, until, null, List.of(), null, Map.of());
    }

    public static Wait token(String key, String tokenId) {
        return new Wait(key, Kind.TOKEN, null, tokenId, List.of(), null, Map.of());
    }

    /** @param batchId null for {@code triggerAndWait}, the batch's id for {@code batchTriggerAndWait} */
    public static Wait runs(String key, List<TriggerRequest> children, String batchId) {
        return new Wait(key, Kind.RUNS, null, null, children, batchId, Map.of());
    }

    /**
     * The key of a run's next wait when its worker names none (a trigger.dev task's waits): its position among the
     * run's waits, from the results the run holds so far. Unique in the run, and the same for whoever asks while the
     * attempt executes, so the waitpoint and child ids derived from it are never stored.
     */
    public static String positionalKey(RunState run) {
        return positionalKey(run.steps().size());
    }

    public static String positionalKey(int resolvedSoFar) {
        return "wait-" + resolvedSoFar;
    }

    Wait withResolved(int index, StepResult result) {
        Map<Integer, StepResult> next = new TreeMap<>(resolved);
        next.put(index, result);
        return new Wait(key, kind, until, tokenId, children, batchId, next);
    }

    /** The id of the child run for item {@code index}: derived, so triggering it again finds the same run. */
    public String childRunId(String parentRunId, int index) {
        return childRunId(parentRunId, key, index);
    }

    /** The id of the child run for item {@code index} of the parent's wait under {@code key}. */
    public static String childRunId(String parentRunId, String key, int index) {
        return Ids.derived("run", parentRunId + "/" + key + "/" + index);
    }

    List<String> childRunIds(String parentRunId) {
        return IntStream.range(0, children.size())
                .mapToObj(index -> childRunId(parentRunId, index))
                .toList();
    }

    boolean allChildrenResolved() {
        return resolved.size() >= children.size();
    }
}
