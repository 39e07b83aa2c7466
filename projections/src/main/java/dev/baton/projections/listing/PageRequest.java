package dev.baton.projections.listing;

/** {@code after}: the next older page; {@code before}: the newer page just before the cursor; neither: the newest. */
public record PageRequest(int size, ListCursor after, ListCursor before) {
    public PageRequest {
        if (size < 1) throw new IllegalArgumentException("page size must be at least 1");
        if (after != null && before != null) throw new IllegalArgumentException("after and before exclude each other");
    }
}
