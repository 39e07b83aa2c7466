package dev.baton.projections.clickhouse;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Rows of a {@code TabSeparatedWithNames} answer, values as text (TSV escapes undone). */
public record QueryResult(List<String> columns, List<List<String>> rows) {

    static QueryResult parse(String body) {
        List<String> lines = new ArrayList<>(Arrays.asList(body.split("\n", -1)));
        if (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) lines.remove(lines.size() - 1);
        if (lines.isEmpty()) return new QueryResult(List.of(), List.of());
        List<String> columns = fields(lines.get(0));
        List<List<String>> rows =
                lines.subList(1, lines.size()).stream().map(QueryResult::fields).toList();
        return new QueryResult(columns, rows);
    }

    private static List<String> fields(String line) {
        List<String> fields = new ArrayList<>();
        for (String raw : line.split("\t", -1)) fields.add(unescape(raw));
        return List.copyOf(fields);
    }

    private static String unescape(String raw) {
        if (raw.indexOf('\\') < 0) return raw;
        StringBuilder out = new StringBuilder(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c != '\\' || i + 1 == raw.length()) {
                out.append(c);
                continue;
            }
            char next = raw.charAt(++i);
            out.append(
                    switch (next) {
                        case 'n' -> '\n';
                        case 't' -> '\t';
                        case 'r' -> '\r';
                        case 'b' -> '\b';
                        case 'f' -> '\f';
                        case '0' -> '\0';
                        default -> next;
                    });
        }
        return out.toString();
    }

    /** The only value of a one-row, one-column answer. */
    public String single() {
        if (rows.size() != 1 || rows.get(0).size() != 1) throw new IllegalStateException("expected one value: " + rows);
        return rows.get(0).get(0);
    }

    /** The value of {@code column} in row {@code row}. */
    public String get(int row, String column) {
        int index = columns.indexOf(column);
        if (index < 0) throw new IllegalArgumentException("no column " + column + " in " + columns);
        return rows.get(row).get(index);
    }

    public long getLong(int row, String column) {
        return Long.parseLong(get(row, column));
    }
}
