package dev.baton.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Rows printed as aligned, space-separated columns under a header; an absent value prints as {@code -}. */
final class Table {

    private static final String ABSENT = "-";

    private final List<String> headers;
    private final List<List<String>> rows = new ArrayList<>();

    private Table(List<String> headers) {
        this.headers = headers;
    }

    static Table of(String... headers) {
        return new Table(Arrays.asList(headers));
    }

    Table row(String... cells) {
        if (cells.length != headers.size()) throw new IllegalArgumentException("expected " + headers.size());
        rows.add(Arrays.stream(cells).map(cell -> cell == null ? ABSENT : cell).toList());
        return this;
    }

    void print(PrintWriter out) {
        int[] widths = new int[headers.size()];
        for (int i = 0; i < widths.length; i++) {
            widths[i] = headers.get(i).length();
            for (List<String> row : rows)
                widths[i] = Math.max(widths[i], row.get(i).length());
        }
        printRow(out, headers, widths);
        for (List<String> row : rows) printRow(out, row, widths);
        out.flush();
    }

    private static void printRow(PrintWriter out, List<String> cells, int[] widths) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            if (i > 0) line.append("  ");
            line.append(cells.get(i));
            if (i < cells.size() - 1)
                line.append(" ".repeat(widths[i] - cells.get(i).length()));
        }
        out.println(line);
    }

    /** A field as a cell: text as is, other JSON compact, absent or null as null. */
    static String cell(JsonNode node, String field) {
        JsonNode value = node == null ? null : node.get(field);
        if (value == null || value.isNull() || value.isMissingNode()) return null;
        if (value.isTextual()) return value.textValue();
        if (value.isArray()) {
            List<String> items = new ArrayList<>();
            value.forEach(item -> items.add(item.isTextual() ? item.textValue() : item.toString()));
            return items.isEmpty() ? null : String.join(",", items);
        }
        return value.toString();
    }
}
