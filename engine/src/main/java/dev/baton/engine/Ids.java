package dev.baton.engine;

import java.security.SecureRandom;

/** Random, unguessable, prefixed ids (Trigger.dev style: {@code run_…}); never sequential, so ids leak nothing. */
public final class Ids {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final char[] ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz".toCharArray();

  private Ids() {}

  public static String newId(String prefix) {
    return prefix + "_" + random(24);
  }

  public static String random(int length) {
    char[] chars = new char[length];
    for (int i = 0; i < length; i++) {
      chars[i] = ALPHABET[RANDOM.nextInt(ALPHABET.length)];
    }
    return new String(chars);
  }
}
