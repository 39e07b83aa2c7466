package dev.baton.engine.envvars;

/** One variable of an environment, decrypted. */
public record EnvironmentVariable(String name, String value, boolean isSecret) {}
