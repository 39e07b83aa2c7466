package dev.baton.projections.listing;

import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Optional;

/**
 * A position in a list ordered by (created_at, id): the key of one row. Opaque to clients: URL-safe base64
 * of {@code <epoch microseconds>:<id>}, the format runs and tokens have always used, so cursors handed out
 * earlier keep working. A row never changes its key, so pages fetched from a cursor neither repeat nor skip
 * rows while new ones arrive.
 */
public record ListCursor(Instant createdAt, String id) {

    private static final char SEPARATOR = ':';
    private static final int MAX_LENGTH = 1024;

    public ListCursor {
        createdAt = createdAt.truncatedTo(ChronoUnit.MICROS);
    }

    public String encode() {
        long micros = ChronoUnit.MICROS.between(Instant.EPOCH, createdAt);
        return Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString((micros + String.valueOf(SEPARATOR) + id).getBytes(StandardCharsets.UTF_8));
    }

    /** The cursor a client sent back; empty if it is not one this class encoded. */
    public static Optional<ListCursor> decode(String text) {
        if (text == null || text.isEmpty() || text.length() > MAX_LENGTH) return Optional.empty();
        try {
            String decoded = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8);
            int separator = decoded.indexOf(SEPARATOR);
            if (separator <= 0 || separator == decoded.length() - 1) return Optional.empty();
            long micros = Long.parseLong(decoded.substring(0, separator));
            Instant createdAt = Instant.EPOCH.plus(micros, ChronoUnit.MICROS);
            if (createdAt.isBefore(CreatedWindow.EARLIEST) || createdAt.isAfter(CreatedWindow.LATEST)) {
                return Optional.empty();
            }
            return Optional.of(new ListCursor(createdAt, decoded.substring(separator + 1)));
        } catch (IllegalArgumentException | ArithmeticException | DateTimeException e) {
            return Optional.empty();
        }
    }
}
