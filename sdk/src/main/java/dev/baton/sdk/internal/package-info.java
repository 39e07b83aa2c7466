/**
 * Implementation details of the SDK: the JSON mapper, worker protocol messages, payload decoding,
 * reconnect backoff and WebSocket send ordering. Not part of the public API; anything here may
 * change without notice.
 */
package dev.baton.sdk.internal;
