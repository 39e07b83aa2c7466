package dev.baton.sdk.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * One entry of a run's event-sourced history, e.g. {@code RunTriggered}, {@code AttemptStarted}.
 *
 * @param sequenceNr position in the run's journal, from 1
 * @param type       the event's name
 * @param timestamp  when it was recorded
 * @param data       its fields, as JSON
 */
public record RunEvent(long sequenceNr, String type, Instant timestamp, JsonNode data) {}
