package dev.baton.projections.listing;

import dev.baton.projections.internal.Jdbc;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/** A WHERE clause under construction: conditions joined by AND, and their parameters in order (never inlined). */
public final class SqlWhere {

    private String text = "";
    private final List<Object> parameters = new ArrayList<>();

    public SqlWhere and(String condition, Object... values) {
        text = text.isEmpty() ? condition : text + " AND " + condition;
        parameters.addAll(List.of(values));
        return this;
    }

    /** {@code column IN (…)}, one parameter per value, in the order given (callers sort, for stable SQL). */
    public SqlWhere in(String column, Collection<String> values) {
        return and(column + " IN (" + Jdbc.bindMarkers(values.size()) + ")", values.toArray());
    }

    public String text() {
        return text;
    }

    public List<Object> parameters() {
        return List.copyOf(parameters);
    }
}
