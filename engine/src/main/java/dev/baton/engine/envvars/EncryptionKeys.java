package dev.baton.engine.envvars;

import com.typesafe.config.Config;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;

/**
 * The key environment variables are encrypted with, from {@code baton.secrets}: {@code encryption-key} (base64 of
 * 32 bytes), else {@code encryption-key-file} (the same text in a file, created with a random key and owner-only
 * permissions when missing). Neither set: no key, and environment variables are unavailable.
 */
public final class EncryptionKeys {

    public static final String KEY_SETTING = "baton.secrets.encryption-key";
    public static final String KEY_FILE_SETTING = "baton.secrets.encryption-key-file";

    private EncryptionKeys() {}

    /** @param root the node's whole configuration */
    public static Optional<ValueCipher> fromConfig(Config root) {
        String key = root.getString(KEY_SETTING).strip();
        if (!key.isEmpty()) return Optional.of(new ValueCipher(decode(key, KEY_SETTING + " (BATON_ENCRYPTION_KEY)")));
        String file = root.getString(KEY_FILE_SETTING).strip();
        if (file.isEmpty()) return Optional.empty();
        return Optional.of(new ValueCipher(readOrCreate(Path.of(file))));
    }

    static byte[] readOrCreate(Path file) {
        try {
            if (!Files.exists(file)) create(file);
            return decode(Files.readString(file, StandardCharsets.UTF_8).strip(), file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create the encryption key file " + file, e);
        }
    }

    private static void create(Path file) throws IOException {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        if (file.toAbsolutePath().getParent() != null)
            Files.createDirectories(file.toAbsolutePath().getParent());
        try {
            if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                Files.createFile(
                        file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } else {
                Files.createFile(file);
            }
        } catch (FileAlreadyExistsException raced) {
            return; // another process created it first: theirs is the key
        }
        Files.writeString(file, Base64.getEncoder().encodeToString(key) + "\n", StandardCharsets.UTF_8);
    }

    private static byte[] decode(String base64, String source) {
        byte[] key;
        try {
            key = Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + " is not base64", e);
        }
        if (key.length != 32) {
            throw new IllegalArgumentException(source + " must hold 32 bytes (base64), not " + key.length);
        }
        return key;
    }
}
