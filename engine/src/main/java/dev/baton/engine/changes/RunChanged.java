package dev.baton.engine.changes;

import dev.baton.engine.common.CborSerializable;
import java.time.Instant;
import java.util.List;

/**
 * A notice that a run changed: enough for a realtime subscriber to tell whether the run belongs to what it
 * watches (the run, one of its tags, its batch). The subscriber then reads the run itself, so a notice stays
 * small and a lost one costs only a delay (see {@link RunChangeFeed}).
 *
 * @param batchId the batch that created the run, or null
 * @param updatedAt when the run last changed, as its realtime row shows it
 */
public record RunChanged(String environmentId, String runId, List<String> tags, String batchId, Instant updatedAt)
        implements CborSerializable {

    public RunChanged {
        tags = tags == null ? List.of() : List.copyOf(tags);
    }
}
