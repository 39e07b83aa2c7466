package dev.baton.api.realtime;

import dev.baton.api.errors.ApiException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a client is in a shape, as {@code <ms>_<hash>}: the latest {@code updatedAt} (epoch millis) of the rows
 * it has, and a hash of the rows it has at that millisecond. Rows later than {@code ms}, or at {@code ms} when
 * their hash differs, are news to it. Derived from the rows alone, so any node answers any offset without
 * remembering what it sent; {@code -1} ({@link #START}) is a client with nothing yet.
 */
record ShapeOffset(long millis, long hash) {

    static final ShapeOffset START = new ShapeOffset(-1, 0);
    private static final Pattern FORMAT = Pattern.compile("^(\\d{1,18})_(\\d{1,18})$");

    /** A row of a shape: its key, its values and when it last changed. */
    record Row(String key, Map<String, String> values, long millis) {}

    static ShapeOffset parse(String text) {
        if (text == null || text.equals("-1")) return START;
        Matcher matcher = FORMAT.matcher(text);
        if (!matcher.matches()) {
            throw ApiException.badRequest(
                    "offset must be -1 or an offset a previous response gave in electric-offset, not '" + text + "'");
        }
        return new ShapeOffset(Long.parseLong(matcher.group(1)), Long.parseLong(matcher.group(2)));
    }

    boolean isStart() {
        return millis < 0;
    }

    /** The offset of a client that has every row. */
    static ShapeOffset of(List<Row> rows) {
        long latest = rows.stream().mapToLong(Row::millis).max().orElse(0);
        return new ShapeOffset(latest, hashAt(rows, latest));
    }

    /** The rows a client at this offset has not seen (all of them at the start). */
    List<Row> news(List<Row> rows) {
        if (isStart()) return rows;
        List<Row> news = new ArrayList<>();
        boolean sameAtMillis = hashAt(rows, millis) == hash;
        for (Row row : rows) {
            if (row.millis() > millis || (row.millis() == millis && !sameAtMillis)) news.add(row);
        }
        return news;
    }

    /** Deterministic on every node: String's and Map's hash codes are specified. */
    private static long hashAt(List<Row> rows, long millis) {
        long hash = 0;
        for (Row row : rows) {
            if (row.millis() == millis)
                hash += Integer.toUnsignedLong(
                        31 * row.key().hashCode() + row.values().hashCode());
        }
        return hash;
    }

    String encode() {
        return isStart() ? "-1" : millis + "_" + hash;
    }
}
