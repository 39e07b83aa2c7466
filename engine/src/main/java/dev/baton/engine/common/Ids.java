package dev.baton.engine.common;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;

/** Random, unguessable, prefixed ids (Trigger.dev style: {@code run_…}); never sequential, so ids leak nothing. */
public final class Ids {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz".toCharArray();

    private Ids() {}

    public static String newId(String prefix) {
        return prefix + "_" + random(24);
    }

    /**
     * The same id for the same seed, every time: what makes creating a child run or a batch item's
     * run idempotent by construction (a second trigger reaches the run that already exists).
     */
    public static String derived(String prefix, String seed) {
        byte[] digest;
        try {
            digest = MessageDigest.getInstance("SHA-256").digest(seed.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
        char[] chars = new char[24];
        for (int i = 0; i < chars.length; i++) {
            chars[i] = ALPHABET[(digest[i] & 0xff) % ALPHABET.length];
        }
        return prefix + "_" + new String(chars);
    }

    public static String random(int length) {
        char[] chars = new char[length];
        for (int i = 0; i < length; i++) {
            chars[i] = ALPHABET[RANDOM.nextInt(ALPHABET.length)];
        }
        return new String(chars);
    }
}
