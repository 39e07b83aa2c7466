package dev.baton.engine.logs;

import dev.baton.engine.common.CborSerializable;

/** A notice that lines of a run were stored: a follower then reads them after its last sequence number. */
public record RunLogsAppended(String environmentId, String runId) implements CborSerializable {}
