package dev.baton.engine.common;

/**
 * Marker for every message, event and state that crosses a node boundary or lands in the journal.
 * Bound to Akka's {@code jackson-cbor} serializer in {@code reference.conf}.
 */
public interface CborSerializable {}
