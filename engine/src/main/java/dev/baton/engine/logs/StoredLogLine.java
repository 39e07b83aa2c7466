package dev.baton.engine.logs;

/** A stored line with its sequence number: the order of a run's lines and the API's cursor. */
public record StoredLogLine(long seq, LogLine line) {}
