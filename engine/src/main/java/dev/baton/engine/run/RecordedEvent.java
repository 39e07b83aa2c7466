package dev.baton.engine.run;

import java.time.Instant;

/** One entry of a run's journal, as read back for its history. */
public record RecordedEvent(long sequenceNr, Instant timestamp, RunEntity.Event event) {}
