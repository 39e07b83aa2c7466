package dev.baton.engine.envvars;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM for stored values. Each value gets a random 96-bit nonce, kept in front of the ciphertext (with
 * its 128-bit tag) in one base64 text, prefixed by a format version so the scheme can change later. The row's
 * identity (environment id and name) is the associated data: a ciphertext copied into another row does not
 * decrypt.
 */
public final class ValueCipher {

    static final String FORMAT = "v1:";
    private static final int KEY_BYTES = 32;
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretKeySpec key;

    public ValueCipher(byte[] key) {
        if (key.length != KEY_BYTES) {
            throw new IllegalArgumentException("the encryption key must be " + KEY_BYTES + " bytes, not " + key.length);
        }
        this.key = new SecretKeySpec(key.clone(), "AES");
    }

    public String encrypt(String plaintext, String environmentId, String name) {
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(associatedData(environmentId, name));
            byte[] sealed = cipher.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
            byte[] stored = ByteBuffer.allocate(NONCE_BYTES + sealed.length)
                    .put(nonce)
                    .put(sealed)
                    .array();
            return FORMAT + Base64.getEncoder().encodeToString(stored);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available", e);
        }
    }

    /** @throws UndecryptableValueException when the text was not sealed with this key for this row */
    public String decrypt(String stored, String environmentId, String name) {
        if (stored == null || !stored.startsWith(FORMAT)) {
            throw new UndecryptableValueException(environmentId, name, "unknown format");
        }
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(stored.substring(FORMAT.length()));
        } catch (IllegalArgumentException e) {
            throw new UndecryptableValueException(environmentId, name, "not base64");
        }
        if (bytes.length < NONCE_BYTES + TAG_BITS / 8) {
            throw new UndecryptableValueException(environmentId, name, "too short");
        }
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, bytes, 0, NONCE_BYTES));
            cipher.updateAAD(associatedData(environmentId, name));
            byte[] plain = cipher.doFinal(bytes, NONCE_BYTES, bytes.length - NONCE_BYTES);
            return new String(plain, StandardCharsets.UTF_8);
        } catch (AEADBadTagException e) {
            throw new UndecryptableValueException(environmentId, name, "another key or another row");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available", e);
        }
    }

    /** Length-prefixed, so ("a", "bc") and ("ab", "c") differ. */
    private static byte[] associatedData(String environmentId, String name) {
        byte[] environment = environmentId.getBytes(StandardCharsets.UTF_8);
        byte[] variable = name.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + environment.length + variable.length)
                .putInt(environment.length)
                .put(environment)
                .putInt(variable.length)
                .put(variable)
                .array();
    }

    /** A stored value that does not open: another key, another row, or text not written by Baton. */
    public static final class UndecryptableValueException extends RuntimeException {
        UndecryptableValueException(String environmentId, String name, String reason) {
            super("the stored value of " + name + " in " + environmentId + " cannot be decrypted (" + reason + ")");
        }
    }
}
