package dev.baton.projections.runs;

import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Optional;

/**
 * A position in the run list, which is ordered by (created_at, run_id): the key of one run. Opaque to
 * clients: URL-safe base64 of {@code <epoch microseconds>:<run id>}. Runs never change their key, so a
 * cursor stays valid, and pages fetched from it neither repeat nor skip runs while new ones arrive.
 */
public record RunCursor(Instant createdAt, String runId) {

  private static final char SEPARATOR = ':';
  private static final int MAX_LENGTH = 1024;
  /** Both databases store these years (PostgreSQL refuses timestamps far beyond). */
  private static final Instant EARLIEST = Instant.parse("0001-01-01T00:00:00Z");
  private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59Z");

  public RunCursor {
    createdAt = createdAt.truncatedTo(ChronoUnit.MICROS);
  }

  public static RunCursor of(RunRow row) {
    return new RunCursor(row.createdAt(), row.runId());
  }

  public String encode() {
    long micros = ChronoUnit.MICROS.between(Instant.EPOCH, createdAt);
    return Base64.getUrlEncoder().withoutPadding()
        .encodeToString((micros + String.valueOf(SEPARATOR) + runId).getBytes(StandardCharsets.UTF_8));
  }

  /** The cursor a client sent back; empty if it is not one this class encoded. */
  public static Optional<RunCursor> decode(String text) {
    if (text == null || text.isEmpty() || text.length() > MAX_LENGTH) return Optional.empty();
    try {
      String decoded = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8);
      int separator = decoded.indexOf(SEPARATOR);
      if (separator <= 0 || separator == decoded.length() - 1) return Optional.empty();
      long micros = Long.parseLong(decoded.substring(0, separator));
      Instant createdAt = Instant.EPOCH.plus(micros, ChronoUnit.MICROS);
      if (createdAt.isBefore(EARLIEST) || createdAt.isAfter(LATEST)) return Optional.empty();
      return Optional.of(new RunCursor(createdAt, decoded.substring(separator + 1)));
    } catch (IllegalArgumentException | ArithmeticException | DateTimeException e) {
      return Optional.empty();
    }
  }
}
