package dev.baton.api.lag;

import static akka.http.javadsl.server.Directives.complete;
import static akka.http.javadsl.server.Directives.get;
import static akka.http.javadsl.server.Directives.onSuccess;
import static akka.http.javadsl.server.Directives.path;
import static akka.http.javadsl.server.PathMatchers.segment;

import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import dev.baton.api.auth.Authentication;
import dev.baton.api.json.Json;
import dev.baton.projections.lag.ProjectionLag;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;

/**
 * {@code GET /api/v1/projections} (Baton's own): how far each projection is behind the journal, per
 * tag. Any environment's secret key may read it; it names no runs, only offsets.
 */
public final class ProjectionLagRoutes {

    /**
     * One projection's progress on one tag. {@code offset}: the journal ordering it has stored (absent before
     * the first); {@code journalOrdering}: the journal's latest for the tag; {@code behind}: the difference
     * (0 when caught up); {@code secondsSinceUpdate}: since it last stored an offset (absent before the first).
     */
    public record ProjectionStatus(
            String name,
            String key,
            Long offset,
            long journalOrdering,
            long behind,
            String lastUpdated,
            BigDecimal secondsSinceUpdate) {}

    public record ProjectionsResponse(List<ProjectionStatus> data) {}

    private final ProjectionLag lag;
    private final Authentication authentication;

    public ProjectionLagRoutes(ProjectionLag lag, Authentication authentication) {
        this.lag = lag;
        this.authentication = authentication;
    }

    public Route routes() {
        return path(
                segment("api").slash("v1").slash("projections"),
                () -> get(() -> authentication.authenticated(environment -> onSuccess(
                        lag.current(),
                        entries -> complete(Json.response(
                                StatusCodes.OK,
                                new ProjectionsResponse(entries.stream()
                                        .map(ProjectionLagRoutes::toWire)
                                        .toList())))))));
    }

    private static ProjectionStatus toWire(ProjectionLag.Entry entry) {
        return new ProjectionStatus(
                entry.projection(),
                entry.key(),
                entry.offset(),
                entry.journalOrdering(),
                entry.behind(),
                Json.timestamp(entry.lastUpdated()),
                seconds(entry.sinceUpdate()));
    }

    private static BigDecimal seconds(Duration duration) {
        return duration == null ? null : BigDecimal.valueOf(duration.toMillis(), 3);
    }
}
