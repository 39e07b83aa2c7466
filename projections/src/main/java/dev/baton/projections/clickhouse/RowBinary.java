package dev.baton.projections.clickhouse;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Writes values in ClickHouse's RowBinary input format (the same on 18.16 and current servers): integers
 * little-endian, String as a LEB128 length and UTF-8 bytes, DateTime as UInt32 epoch seconds, Array as a
 * LEB128 count and its elements. Columns must be written in the order of the INSERT's column list.
 */
final class RowBinary {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream(64 * 1024);

    RowBinary string(String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        varint(bytes.length);
        out.writeBytes(bytes);
        return this;
    }

    RowBinary uint8(boolean value) {
        out.write(value ? 1 : 0);
        return this;
    }

    RowBinary uint32(long value) {
        if (value < 0 || value > 0xFFFF_FFFFL) throw new IllegalArgumentException("not a UInt32: " + value);
        for (int i = 0; i < 4; i++) out.write((int) (value >>> (8 * i)) & 0xFF);
        return this;
    }

    RowBinary uint64(long value) {
        if (value < 0) throw new IllegalArgumentException("not a UInt64: " + value);
        for (int i = 0; i < 8; i++) out.write((int) (value >>> (8 * i)) & 0xFF);
        return this;
    }

    /** A DateTime column from epoch milliseconds (the sub-second part goes in the matching *_ms column). */
    RowBinary dateTime(long epochMillis) {
        return uint32(Math.floorDiv(epochMillis, 1000L));
    }

    RowBinary strings(List<String> values) {
        varint(values.size());
        values.forEach(this::string);
        return this;
    }

    byte[] toByteArray() {
        return out.toByteArray();
    }

    int size() {
        return out.size();
    }

    private void varint(long value) {
        long rest = value;
        while ((rest & ~0x7FL) != 0) {
            out.write((int) ((rest & 0x7F) | 0x80));
            rest >>>= 7;
        }
        out.write((int) rest);
    }
}
