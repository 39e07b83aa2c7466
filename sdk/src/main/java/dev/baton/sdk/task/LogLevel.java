package dev.baton.sdk.task;

import java.util.Locale;

/** A {@link TaskLogger} line's level, SLF4J's five. */
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
}
