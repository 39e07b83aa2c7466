package dev.baton.engine.dispatch;

import dev.baton.engine.common.CborSerializable;

/** A run's answer to an offer (see {@link QueuedRuns#offer}): whether it took the lease. */
public record DispatchReply(String runId, String sessionId, boolean accepted) implements CborSerializable {}
