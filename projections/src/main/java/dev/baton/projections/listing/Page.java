package dev.baton.projections.listing;

import java.util.List;

/**
 * One page of a listing, newest first. {@code next} is there only when older matching rows exist, {@code previous}
 * only when newer ones exist before the first row; an empty page has neither.
 */
public record Page<R>(List<R> rows, ListCursor next, ListCursor previous) {

    public static <R> Page<R> empty() {
        return new Page<>(List.of(), null, null);
    }
}
