package dev.baton.engine.bulk;

import dev.baton.engine.common.CborSerializable;
import dev.baton.engine.run.RunStatus;
import java.time.Instant;
import java.util.Set;

/**
 * Which runs a bulk action selects by filter: the runs list's filter, frozen when the action is created. A null
 * field does not filter; a set matches a run holding any of its values (an empty set matches none). The created
 * window is fixed then (a period becomes its start, and the end is the creation time at the latest), so runs
 * created afterwards, the action's own replays among them, are never selected.
 *
 * @param createdFrom created at or after this
 * @param createdBefore created strictly before this
 */
public record BulkRunFilter(
        Set<RunStatus> statuses,
        Set<String> taskIds,
        Set<String> tags,
        Set<String> queues,
        Set<String> versions,
        String batchId,
        String scheduleId,
        Boolean test,
        Instant createdFrom,
        Instant createdBefore)
        implements CborSerializable {}
