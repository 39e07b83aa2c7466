package dev.baton.engine.run;

import akka.pattern.StatusReply;
import akka.persistence.typed.javadsl.ReplyEffect;
import dev.baton.engine.run.RunEntity.AddTags;
import dev.baton.engine.run.RunEntity.Event;
import dev.baton.engine.run.RunEntity.MetadataUpdated;
import dev.baton.engine.run.RunEntity.TagsAdded;
import dev.baton.engine.run.RunEntity.UpdateMetadata;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.List;

/** A run's tags and metadata: taken in every stage, a finished run's too, within the limits of {@link RunSettings}. */
final class RunAnnotations {
    private RunAnnotations() {}

    /** Tags the run has already are not added again; adding none writes nothing. */
    static ReplyEffect<Event, RunState> addTags(RunEntity run, RunState state, AddTags cmd) {
        LinkedHashSet<String> added = new LinkedHashSet<>(cmd.tags());
        added.removeAll(state.tags());
        if (added.isEmpty())
            return run.Effect()
                    .reply(cmd.replyTo(), StatusReply.success(run.execution().view(state)));
        int maxTags = run.settings().maxTags();
        if (state.tags().size() + added.size() > maxTags) {
            return run.error(cmd.replyTo(), RunEntity.TOO_MANY_TAGS + ": at most " + maxTags + " per run");
        }
        return run.Effect()
                .persist(new TagsAdded(List.copyOf(added), run.now()))
                .thenReply(
                        cmd.replyTo(),
                        tagged -> StatusReply.success(run.execution().view(tagged)));
    }

    /** From the API any time; from a worker only during its own attempt. */
    static ReplyEffect<Event, RunState> updateMetadata(RunEntity run, RunState state, UpdateMetadata cmd) {
        if (cmd.attemptId() != null && !run.isCurrent(cmd.attemptId())) {
            return run.error(cmd.replyTo(), RunEntity.STALE_ATTEMPT);
        }
        String updated;
        try {
            updated = MetadataOperation.applyAll(state.metadataJson(), cmd.operations());
        } catch (IllegalArgumentException e) {
            return run.error(cmd.replyTo(), e.getMessage());
        }
        long maxBytes = run.settings().maxMetadataBytes();
        if (updated.getBytes(StandardCharsets.UTF_8).length > maxBytes) {
            return run.error(cmd.replyTo(), RunEntity.METADATA_TOO_LARGE + ": at most " + maxBytes + " bytes");
        }
        return run.Effect()
                .persist(new MetadataUpdated(updated, run.now()))
                .thenReply(
                        cmd.replyTo(),
                        withMetadata -> StatusReply.success(run.execution().view(withMetadata)));
    }
}
