package dev.baton.projections.waitpoints;

import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Optional;

/**
 * A position in the token list, ordered by (created_at, token_id): the key of one token. Opaque to clients:
 * URL-safe base64 of {@code <epoch microseconds>:<token id>}. A token's key never changes, so pages fetched
 * from a cursor neither repeat nor skip tokens while new ones arrive.
 */
public record TokenCursor(Instant createdAt, String tokenId) {

  private static final char SEPARATOR = ':';
  private static final int MAX_LENGTH = 1024;
  private static final Instant EARLIEST = Instant.parse("0001-01-01T00:00:00Z");
  private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59Z");

  public TokenCursor {
    createdAt = createdAt.truncatedTo(ChronoUnit.MICROS);
  }

  public static TokenCursor of(TokenRow row) {
    return new TokenCursor(row.createdAt(), row.tokenId());
  }

  public String encode() {
    long micros = ChronoUnit.MICROS.between(Instant.EPOCH, createdAt);
    return Base64.getUrlEncoder().withoutPadding()
        .encodeToString((micros + String.valueOf(SEPARATOR) + tokenId).getBytes(StandardCharsets.UTF_8));
  }

  /** The cursor a client sent back; empty if it is not one this class encoded. */
  public static Optional<TokenCursor> decode(String text) {
    if (text == null || text.isEmpty() || text.length() > MAX_LENGTH) return Optional.empty();
    try {
      String decoded = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8);
      int separator = decoded.indexOf(SEPARATOR);
      if (separator <= 0 || separator == decoded.length() - 1) return Optional.empty();
      Instant createdAt = Instant.EPOCH.plus(Long.parseLong(decoded.substring(0, separator)), ChronoUnit.MICROS);
      if (createdAt.isBefore(EARLIEST) || createdAt.isAfter(LATEST)) return Optional.empty();
      return Optional.of(new TokenCursor(createdAt, decoded.substring(separator + 1)));
    } catch (IllegalArgumentException | ArithmeticException | DateTimeException e) {
      return Optional.empty();
    }
  }
}
