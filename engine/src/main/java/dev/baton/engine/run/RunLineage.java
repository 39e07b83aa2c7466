package dev.baton.engine.run;

import dev.baton.engine.common.CborSerializable;

/**
 * Where a run sits in a tree of runs. A run triggered from outside a task is a root (lineage
 * {@link #ROOT}); a child knows its parent, the tree's root, its depth, how it was triggered, its
 * batch, and — when the parent waits for it — the parent's wait it resolves.
 *
 * @param triggerFunction Trigger.dev's name for how the run was created: trigger, triggerAndWait,
 *     batchTrigger or batchTriggerAndWait
 * @param batchIndex the run's item index in its batch (0 without a batch)
 * @param parentWaitKey the key of the parent's wait this run resolves when it finishes; null when
 *     the parent does not wait for it
 * @param scheduleId the schedule whose occurrence triggered the run; null otherwise (events written before it
 *     was recorded read as null too)
 */
public record RunLineage(
        String parentRunId,
        String rootRunId,
        int depth,
        String triggerFunction,
        String batchId,
        int batchIndex,
        String parentWaitKey,
        String scheduleId)
        implements CborSerializable {

    public static final RunLineage ROOT = new RunLineage(null, null, 0, "trigger", null, 0, null, null);

    /** A run created by a batch trigger from outside any task. */
    public static RunLineage ofBatch(String batchId, int index) {
        return new RunLineage(null, null, 0, "batchTrigger", batchId, index, null, null);
    }

    /** A run a schedule's occurrence triggered. */
    public static RunLineage ofSchedule(String scheduleId) {
        return new RunLineage(null, null, 0, "trigger", null, 0, null, scheduleId);
    }

    /** The lineage of a child this run (with {@code lineage}) starts and waits for. */
    static RunLineage childOf(String parentRunId, RunLineage parent, String waitKey, String batchId, int index) {
        String root = parent.rootRunId() != null ? parent.rootRunId() : parentRunId;
        return new RunLineage(
                parentRunId,
                root,
                parent.depth() + 1,
                batchId == null ? "triggerAndWait" : "batchTriggerAndWait",
                batchId,
                index,
                waitKey,
                null);
    }

    public boolean resumesParent() {
        return parentRunId != null && parentWaitKey != null;
    }
}
