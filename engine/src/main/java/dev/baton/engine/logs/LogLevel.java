package dev.baton.engine.logs;

import java.util.Locale;
import java.util.Optional;

/** A log line's level, SLF4J's five; stored as its ordinal, so filters compare levels as numbers. */
public enum LogLevel {
    TRACE,
    DEBUG,
    INFO,
    WARN,
    ERROR;

    /** The lowercase name the worker protocol and the API use. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The level of a lowercase wire name; empty for anything else. */
    public static Optional<LogLevel> fromWire(String name) {
        if (name == null) return Optional.empty();
        for (LogLevel level : values()) if (level.wireName().equals(name)) return Optional.of(level);
        return Optional.empty();
    }

    static LogLevel ofStored(int ordinal) {
        return values()[ordinal];
    }
}
