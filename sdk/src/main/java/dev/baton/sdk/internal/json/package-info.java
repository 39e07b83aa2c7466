/**
 * The SDK's one JSON mapper and its reading helpers. Not part of the public API. A package of its
 * own, depending on no other SDK package, so that the public packages can use it without depending
 * on the rest of {@code dev.baton.sdk.internal}, which depends on them.
 */
package dev.baton.sdk.internal.json;
