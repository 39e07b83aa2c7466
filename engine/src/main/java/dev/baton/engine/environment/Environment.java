package dev.baton.engine.environment;

/** An environment (organization → project → environment), the unit of API keys, worker tokens and runs. */
public record Environment(String id, String projectId, String projectRef, String slug) {}
