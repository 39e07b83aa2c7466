package dev.baton.engine.common;

import com.fasterxml.jackson.core.JsonProcessingException;

/**
 * Refuses JSON text that Jackson 2.13 reads but nothing after it can hold, in one pass before the parser; for every
 * JSON that comes from outside (the HTTP API's bodies, the worker gateway's messages):
 * <ul>
 *   <li>arrays and objects nested deeper than {@link #MAX_DEPTH}: writing such a tree back recurses per level
 *       and overflows the stack, and Akka stops the JVM on that;</li>
 *   <li>text that is not Unicode: bytes that are not UTF-8 (Jackson takes overlong forms, encoded surrogates and
 *       code points past U+10FFFF), and surrogates that do not pair, raw or escaped (a lone {@code \\uD800}). The event
 *       serializer cannot write those, so a run with one in a tag was never persisted and its request hung.</li>
 * </ul>
 * Every other fault is left to the parser.
 */
public final class JsonText {

    /** The deepest nesting of arrays and objects taken (Jackson's own default from 2.15 on). */
    public static final int MAX_DEPTH = 1000;

    /** JSON that parses but is refused; its message says why. */
    public static final class RefusedJsonException extends JsonProcessingException {
        RefusedJsonException(String message) {
            super(message);
        }
    }

    private final byte[] bytes;
    private final String string;
    private final int length;
    private int depth;
    private boolean inString;
    /** A high surrogate was read: the next character must be a low one. */
    private boolean awaitingLowSurrogate;

    private JsonText(byte[] bytes, String string) {
        this.bytes = bytes;
        this.string = string;
        this.length = bytes != null ? bytes.length : string.length();
    }

    /** UTF-8 bytes. */
    public static void check(byte[] bytes) throws RefusedJsonException {
        new JsonText(bytes, null).scan();
    }

    public static void check(String text) throws RefusedJsonException {
        new JsonText(null, text).scan();
    }

    /** The byte (0–255), or the UTF-16 unit, at {@code index}. */
    private int at(int index) {
        return bytes != null ? bytes[index] & 0xFF : string.charAt(index);
    }

    private void scan() throws RefusedJsonException {
        int i = 0;
        while (i < length) {
            int c = at(i);
            if (bytes != null && c >= 0x80) {
                // No byte of a multi-byte character is structural, and none is a surrogate once the sequence is valid.
                i = afterUtf8Sequence(i);
                if (inString) character(0x80);
            } else if (!inString) {
                if (c == '"') {
                    inString = true;
                } else if ((c == '[' || c == '{') && ++depth > MAX_DEPTH) {
                    throw new RefusedJsonException(
                            "arrays and objects are nested deeper than " + MAX_DEPTH + " levels");
                } else if (c == ']' || c == '}') {
                    depth--;
                }
                i++;
            } else if (c == '\\') {
                i = afterEscape(i);
            } else if (c == '"') {
                if (awaitingLowSurrogate) throw unpairedSurrogate();
                inString = false;
                i++;
            } else {
                character(c);
                i++;
            }
        }
    }

    /** A character inside a string: surrogates must come in high-low pairs. */
    private void character(int c) throws RefusedJsonException {
        if (Character.isHighSurrogate((char) c)) {
            if (awaitingLowSurrogate) throw unpairedSurrogate();
            awaitingLowSurrogate = true;
        } else if (Character.isLowSurrogate((char) c)) {
            if (!awaitingLowSurrogate) throw unpairedSurrogate();
            awaitingLowSurrogate = false;
        } else if (awaitingLowSurrogate) {
            throw unpairedSurrogate();
        }
    }

    /** A {@code \\u} escape counts as the character it names; the parser judges every other escape. */
    private int afterEscape(int backslash) throws RefusedJsonException {
        if (backslash + 5 < length && at(backslash + 1) == 'u') {
            int value = 0;
            for (int k = 2; k <= 5; k++) {
                int digit = Character.digit(at(backslash + k), 16);
                if (digit < 0) return backslash + 2;
                value = value * 16 + digit;
            }
            character(value);
            return backslash + 6;
        }
        if (awaitingLowSurrogate) throw unpairedSurrogate();
        return backslash + 2;
    }

    /**
     * Validates one multi-byte UTF-8 character (RFC 3629, section 4) starting at {@code start}; returns the index after
     * it.
     */
    private int afterUtf8Sequence(int start) throws RefusedJsonException {
        int lead = at(start);
        int following;
        int secondMin = 0x80;
        int secondMax = 0xBF;
        if (lead >= 0xC2 && lead <= 0xDF) {
            following = 1;
        } else if (lead == 0xE0) {
            following = 2;
            secondMin = 0xA0; // shorter forms are overlong
        } else if (lead == 0xED) {
            following = 2;
            secondMax = 0x9F; // U+D800 to U+DFFF are surrogates, never characters
        } else if (lead >= 0xE1 && lead <= 0xEF) {
            following = 2;
        } else if (lead == 0xF0) {
            following = 3;
            secondMin = 0x90; // overlong
        } else if (lead >= 0xF1 && lead <= 0xF3) {
            following = 3;
        } else if (lead == 0xF4) {
            following = 3;
            secondMax = 0x8F; // past U+10FFFF
        } else {
            throw notUtf8(start);
        }
        for (int k = 1; k <= following; k++) {
            if (start + k >= length) throw notUtf8(start);
            int next = at(start + k);
            if (next < (k == 1 ? secondMin : 0x80) || next > (k == 1 ? secondMax : 0xBF)) throw notUtf8(start);
        }
        return start + following + 1;
    }

    private static RefusedJsonException unpairedSurrogate() {
        return new RefusedJsonException("a string holds an unpaired UTF-16 surrogate, which is not a character");
    }

    private RefusedJsonException notUtf8(int offset) {
        return new RefusedJsonException(
                String.format("the text is not UTF-8: byte 0x%02X at offset %d", at(offset), offset));
    }
}
