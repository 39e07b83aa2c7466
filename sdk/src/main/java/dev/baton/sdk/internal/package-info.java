/**
 * Implementation details of the SDK: worker protocol messages, payload decoding,
 * reconnect backoff and WebSocket send ordering. Not part of the public API; anything here may
 * change without notice.
 */
package dev.baton.sdk.internal;
