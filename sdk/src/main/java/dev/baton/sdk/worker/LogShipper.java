package dev.baton.sdk.worker;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.sdk.internal.WorkerMessages;
import dev.baton.sdk.internal.WorkerMessages.ErrorBody;
import dev.baton.sdk.internal.WorkerMessages.LogLine;
import dev.baton.sdk.internal.json.Json;
import dev.baton.sdk.task.LogEntry;
import dev.baton.sdk.task.LogLevel;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker's run logs on their way to the gateway: handlers' lines wait in a bounded buffer and go out in
 * {@code logs} messages every flush interval, and before each attempt's result. A handler never waits: past the
 * rate limit (a token bucket refilled at {@code linesPerSecond}, holding one second's worth) or with the buffer
 * full, a line is dropped and counted per attempt, and the next flush sends a WARN line saying how many were
 * dropped in its place. Logs get no answer: once sent, the gateway stores them best effort.
 */
final class LogShipper {

    /** Lines per {@code logs} message; the gateway takes up to 1000. */
    static final int LINES_PER_MESSAGE = 500;
    /** Characters of lines per message (as JSON), kept well below the gateway's 192 KiB. */
    static final int CHARS_PER_MESSAGE = 128 * 1024;
    /** A longer message is cut, so that one line always fits a message. */
    static final int MAX_MESSAGE_CHARS = 16 * 1024;
    /** Attributes whose JSON is longer are replaced by a note saying so. */
    static final int MAX_ATTRIBUTES_CHARS = 16 * 1024;

    /** Where lines go when the gateway does not take them. */
    private static final Logger LOCAL = LoggerFactory.getLogger("dev.baton.sdk.task.TaskLogger");

    private final Supplier<Session> session;
    private final int linesPerSecond;
    private final int bufferLines;
    private final ArrayBlockingQueue<LogLine> buffer;
    /** Dropped lines not yet reported, per attempt. Guarded by itself. */
    private final Map<String, Long> dropped = new LinkedHashMap<>();

    private final LongAdder droppedTotal = new LongAdder();
    /** Guards the token bucket; not {@code this}, so a flush in progress never holds up a handler. */
    private final Object bucketLock = new Object();

    private double tokens;
    private long refilledAt = System.nanoTime();

    LogShipper(Supplier<Session> session, int linesPerSecond, int bufferLines) {
        this.session = session;
        this.linesPerSecond = linesPerSecond;
        this.bufferLines = bufferLines;
        this.buffer = new ArrayBlockingQueue<>(bufferLines);
        this.tokens = linesPerSecond;
    }

    /** Takes a line of an attempt, or counts it dropped; never blocks. */
    void offer(String attemptId, LogEntry entry) {
        if (!takeToken() || !buffer.offer(wire(attemptId, entry))) drop(attemptId);
    }

    /** Lines dropped since the worker started (each one reported in a marker line). */
    long linesDropped() {
        return droppedTotal.sum();
    }

    /**
     * Sends what is buffered, then a marker line per attempt that had lines dropped. Keeps them when there is no
     * welcomed connection; they go out with the next one (lines of attempts the gateway does not know are dropped).
     */
    synchronized void flush() {
        Session current = session.get();
        if (current == null || !current.isWelcomed() || current.hasEnded()) return;
        List<LogLine> lines = new ArrayList<>();
        buffer.drainTo(lines);
        Map<String, Long> marked;
        synchronized (dropped) {
            marked = new LinkedHashMap<>(dropped);
            dropped.clear();
        }
        String now = Instant.now().toString();
        marked.forEach((attemptId, count) -> {
            ObjectNode attributes = Json.mapper().createObjectNode();
            attributes.put("baton.marker", true);
            attributes.put("droppedLines", count);
            lines.add(new LogLine(
                    attemptId,
                    now,
                    LogLevel.WARN.wireName(),
                    count + " log lines dropped: the worker logged more than its limit of " + linesPerSecond
                            + " lines/s, or its buffer of " + bufferLines + " lines was full",
                    attributes,
                    null));
        });
        if (!current.gatewayTakesLogs()) {
            logLocally(lines);
            return;
        }
        List<LogLine> message = new ArrayList<>();
        int chars = 0;
        for (LogLine original : lines) {
            LogLine line = original;
            int size = encodedLength(line);
            if (size > CHARS_PER_MESSAGE) { // escapes can make a capped line longer than a message: cut it further
                line = shortened(line);
                size = encodedLength(line);
            }
            if (!message.isEmpty() && (message.size() == LINES_PER_MESSAGE || chars + size > CHARS_PER_MESSAGE)) {
                current.send(new WorkerMessages.Logs(List.copyOf(message)));
                message.clear();
                chars = 0;
            }
            message.add(line);
            chars += size;
        }
        if (!message.isEmpty()) current.send(new WorkerMessages.Logs(List.copyOf(message)));
    }

    /** A node older than run logs would close the socket on a {@code logs} message: the worker's own log gets them. */
    private static void logLocally(List<LogLine> lines) {
        for (LogLine line : lines) {
            String text = "attempt " + line.attemptId() + ": " + line.message()
                    + (line.attributes() == null ? "" : " " + line.attributes())
                    + (line.error() == null ? "" : "\n" + line.error().stackTrace());
            switch (line.level()) {
                case "trace" -> LOCAL.trace(text);
                case "debug" -> LOCAL.debug(text);
                case "warn" -> LOCAL.warn(text);
                case "error" -> LOCAL.error(text);
                default -> LOCAL.info(text);
            }
        }
    }

    private boolean takeToken() {
        synchronized (bucketLock) {
            long now = System.nanoTime();
            tokens = Math.min(linesPerSecond, tokens + (now - refilledAt) * linesPerSecond / 1e9);
            refilledAt = now;
            if (tokens < 1) return false;
            tokens--;
            return true;
        }
    }

    private void drop(String attemptId) {
        droppedTotal.increment();
        synchronized (dropped) {
            dropped.merge(attemptId, 1L, Long::sum);
        }
    }

    private static LogLine wire(String attemptId, LogEntry entry) {
        String message = entry.message();
        if (message.length() > MAX_MESSAGE_CHARS) message = message.substring(0, MAX_MESSAGE_CHARS) + "… (truncated)";
        return new LogLine(
                attemptId,
                entry.timestamp().toString(),
                entry.level().wireName(),
                message,
                attributes(entry.attributes()),
                entry.error() == null ? null : ErrorBody.of(entry.error()));
    }

    /** The attributes as a JSON object; a value Jackson cannot write becomes its {@code toString()}. */
    static JsonNode attributes(Map<String, Object> attributes) {
        if (attributes.isEmpty()) return null;
        ObjectNode json = Json.mapper().createObjectNode();
        attributes.forEach((key, value) -> {
            try {
                json.set(key, Json.mapper().valueToTree(value));
            } catch (IllegalArgumentException e) {
                json.put(key, String.valueOf(value));
            }
        });
        if (json.toString().length() > MAX_ATTRIBUTES_CHARS) {
            ObjectNode note = Json.mapper().createObjectNode();
            note.put("baton.truncated", "the attributes were longer than " + MAX_ATTRIBUTES_CHARS + " characters");
            return note;
        }
        return json;
    }

    /** The line's length as JSON, which is what the gateway's message limit counts. */
    private static int encodedLength(LogLine line) {
        try {
            return Json.mapper().writeValueAsString(line).length() + 1;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a log line always serializes", e);
        }
    }

    private static LogLine shortened(LogLine line) {
        String message =
                line.message().length() > 1000 ? line.message().substring(0, 1000) + "… (truncated)" : line.message();
        ObjectNode note = Json.mapper().createObjectNode();
        note.put("baton.truncated", "the line was too long to send");
        ErrorBody error = line.error() == null
                ? null
                : new ErrorBody(line.error().message(), line.error().name(), null);
        if (error != null && error.message() != null && error.message().length() > 1000)
            error = new ErrorBody(error.message().substring(0, 1000) + "… (truncated)", error.name(), null);
        return new LogLine(line.attemptId(), line.timestamp(), line.level(), message, note, error);
    }
}
