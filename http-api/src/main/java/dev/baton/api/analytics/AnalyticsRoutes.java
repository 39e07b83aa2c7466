package dev.baton.api.analytics;

import static akka.http.javadsl.server.Directives.complete;
import static akka.http.javadsl.server.Directives.concat;
import static akka.http.javadsl.server.Directives.get;
import static akka.http.javadsl.server.Directives.onSuccess;
import static akka.http.javadsl.server.Directives.parameterMultiMap;
import static akka.http.javadsl.server.Directives.path;
import static akka.http.javadsl.server.Directives.pathEndOrSingleSlash;
import static akka.http.javadsl.server.Directives.pathPrefix;
import static akka.http.javadsl.server.PathMatchers.segment;

import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.model.headers.RawHeader;
import akka.http.javadsl.server.Route;
import dev.baton.api.auth.Authentication;
import dev.baton.api.auth.Caller;
import dev.baton.api.auth.Scopes;
import dev.baton.api.auth.Scopes.Resource;
import dev.baton.api.errors.ApiException;
import dev.baton.api.json.Json;
import dev.baton.engine.common.Failures;
import dev.baton.projections.clickhouse.AnalyticsUnavailableException;
import dev.baton.projections.clickhouse.TaskAnalytics;
import dev.baton.projections.clickhouse.TaskAnalytics.Bucket;
import dev.baton.projections.clickhouse.TaskAnalytics.Outcomes;
import dev.baton.projections.clickhouse.TaskAnalytics.TaskOutcomes;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * Baton's own read-only analytics routes over ClickHouse (docs/api.md#analytics): {@code GET /api/v1/analytics}
 * (is it on?), {@code …/tasks} (per task) and {@code …/throughput} (per time bucket), always of the caller's
 * environment, authorised like the run list. With ClickHouse off, the data routes answer 404; with ClickHouse
 * down or slow, 503 naming it within the read's deadline.
 */
public final class AnalyticsRoutes {

    public static final String NOT_CONFIGURED =
            "ClickHouse is not configured on this node (baton.clickhouse.url, BATON_CLICKHOUSE_URL): analytics are off";

    /** {@code GET /api/v1/analytics}: what the dashboard asks before it shows the Analytics page. */
    public record Status(boolean enabled, List<String> periods, List<String> intervals, String reason) {}

    /** p50/p95/p99 of the execution time, in ms. */
    public record DurationPercentiles(long p50, long p95, long p99) {}

    /** Runs finished by outcome, for a task or a bucket. */
    public record OutcomeCounts(
            long finished,
            long completed,
            long failed,
            long canceled,
            long expired,
            double failureRate,
            DurationPercentiles durationMs) {}

    public record TaskRow(
            String taskIdentifier,
            long finished,
            long completed,
            long failed,
            long canceled,
            long expired,
            double failureRate,
            DurationPercentiles durationMs) {}

    public record BucketRow(
            String start,
            long finished,
            long completed,
            long failed,
            long canceled,
            long expired,
            double failureRate,
            DurationPercentiles durationMs) {}

    public record TasksResponse(String from, String to, String task, List<TaskRow> data) {}

    public record ThroughputResponse(
            String from, String to, String task, String interval, long intervalMs, List<BucketRow> data) {}

    private final TaskAnalytics analytics;
    private final Authentication authentication;
    private final Clock clock;

    public AnalyticsRoutes(TaskAnalytics analytics, Authentication authentication, Clock clock) {
        this.analytics = analytics;
        this.authentication = authentication;
        this.clock = clock;
    }

    public Route routes() {
        return pathPrefix(
                segment("api").slash("v1").slash("analytics"),
                () -> concat(
                        pathEndOrSingleSlash(() -> get(() -> authentication.caller(this::status))),
                        path(
                                "tasks",
                                () -> get(() -> authentication.caller(caller -> parameterMultiMap(
                                        query -> tasks(caller, AnalyticsParams.decode(query, false, clock)))))),
                        path(
                                "throughput",
                                () -> get(() -> authentication.caller(caller -> parameterMultiMap(
                                        query -> throughput(caller, AnalyticsParams.decode(query, true, clock))))))));
    }

    private Route status(Caller caller) {
        return complete(Json.response(
                StatusCodes.OK,
                analytics.enabled()
                        ? new Status(true, AnalyticsParams.PERIODS, AnalyticsParams.intervalNames(), null)
                        : new Status(false, List.of(), List.of(), NOT_CONFIGURED)));
    }

    private Route tasks(Caller caller, AnalyticsParams params) {
        check(caller, params);
        return onSuccess(
                unavailableAs503(analytics.tasks(caller.environment().id(), params.window(), params.task())),
                tasks -> complete(Json.response(
                        StatusCodes.OK,
                        new TasksResponse(
                                Json.timestamp(params.window().from()),
                                Json.timestamp(params.window().to()),
                                params.task(),
                                tasks.stream().map(AnalyticsRoutes::row).toList()))));
    }

    private Route throughput(Caller caller, AnalyticsParams params) {
        check(caller, params);
        Duration interval = params.interval();
        return onSuccess(
                unavailableAs503(
                        analytics.throughput(caller.environment().id(), params.window(), interval, params.task())),
                buckets -> complete(Json.response(
                        StatusCodes.OK,
                        new ThroughputResponse(
                                Json.timestamp(params.window().from()),
                                Json.timestamp(params.window().to()),
                                params.task(),
                                params.intervalName(),
                                interval.toMillis(),
                                buckets.stream().map(AnalyticsRoutes::row).toList()))));
    }

    /**
     * ClickHouse off is a 404 for the data routes; the window must fit the configured limits; a public access
     * token reads all tasks with a broad read scope ({@code read:runs}, {@code read:tasks}, {@code read:all}),
     * or one task it covers ({@code read:tasks:<id>}) when the request names it.
     */
    private void check(Caller caller, AnalyticsParams params) {
        if (caller.isPublic()) {
            boolean broad = caller.mayAny(Scopes.READ, List.of(Resource.all(Scopes.RUNS), Resource.all(Scopes.TASKS)));
            boolean thisTask = params.task() != null
                    && caller.mayEach(Scopes.READ, List.of(Resource.of(Scopes.TASKS, params.task())));
            if (!broad && !thisTask) throw Authentication.forbidden();
        }
        if (!analytics.enabled()) throw new ApiException(StatusCodes.NOT_FOUND, NOT_CONFIGURED);
        params.checkLimits(analytics.settings());
    }

    private static <T> CompletionStage<T> unavailableAs503(CompletionStage<T> read) {
        return read.exceptionally(error -> {
            Throwable cause = Failures.cause(error);
            if (cause instanceof AnalyticsUnavailableException) {
                throw new ApiException(
                        StatusCodes.SERVICE_UNAVAILABLE,
                        "ClickHouse is unavailable: the analytics query failed or timed out, please retry",
                        List.of(RawHeader.create("retry-after", "5")));
            }
            throw error instanceof RuntimeException runtime ? runtime : new CompletionException(error);
        });
    }

    private static TaskRow row(TaskOutcomes task) {
        OutcomeCounts counts = counts(task.outcomes());
        return new TaskRow(
                task.taskId(),
                counts.finished(),
                counts.completed(),
                counts.failed(),
                counts.canceled(),
                counts.expired(),
                counts.failureRate(),
                counts.durationMs());
    }

    private static BucketRow row(Bucket bucket) {
        OutcomeCounts counts = counts(bucket.outcomes());
        return new BucketRow(
                Json.timestamp(bucket.start()),
                counts.finished(),
                counts.completed(),
                counts.failed(),
                counts.canceled(),
                counts.expired(),
                counts.failureRate(),
                counts.durationMs());
    }

    private static OutcomeCounts counts(Outcomes outcomes) {
        TaskAnalytics.Percentiles durations = outcomes.durations();
        return new OutcomeCounts(
                outcomes.finished(),
                outcomes.completed(),
                outcomes.failed(),
                outcomes.canceled(),
                outcomes.expired(),
                Math.round(outcomes.failureRate() * 10_000) / 10_000.0,
                durations == null ? null : new DurationPercentiles(durations.p50(), durations.p95(), durations.p99()));
    }
}
