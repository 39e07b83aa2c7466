package dev.baton.node;

import static akka.http.javadsl.server.Directives.extractRequest;
import static akka.http.javadsl.server.Directives.mapResponse;

import akka.http.javadsl.model.HttpRequest;
import akka.http.javadsl.server.Route;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Set;

/**
 * {@code baton_http_requests_seconds{method, route, status}}: every answer of the API port, timed to its response's
 * head (a stream's or a long poll's body may flow on). The route is the path with everything but Baton's own route
 * words replaced by {@code {}} ({@code /api/v3/runs/{}}), so ids, task names and file names never become series.
 */
final class HttpMetrics {

    /** The literal segments of Baton's routes; any other segment is a value. A word missing here only blurs a label. */
    private static final Set<String> ROUTE_WORDS = Set.of(
            "activate",
            "analytics",
            "api",
            "assets",
            "auth",
            "batch",
            "batches",
            "callback",
            "cancel",
            "claims",
            "complete",
            "connect",
            "dashboard",
            "deactivate",
            "environments",
            "envvars",
            "events",
            "health",
            "idempotencyKeys",
            "import",
            "items",
            "jwt",
            "keys",
            "logs",
            "members",
            "metadata",
            "orgs",
            "packets",
            "pause",
            "personal-access-tokens",
            "projections",
            "projects",
            "public-tokens",
            "queues",
            "ready",
            "realtime",
            "replay",
            "reschedule",
            "reset",
            "resume",
            "rotate",
            "runs",
            "schedules",
            "session",
            "sign-in",
            "tags",
            "tasks",
            "throughput",
            "timezones",
            "tokens",
            "trigger",
            "users",
            "v1",
            "v2",
            "v3",
            "vendor",
            "waitpoints",
            "whoami",
            "workers");

    private static final int MAX_SEGMENTS = 8;

    private final MeterRegistry registry;

    HttpMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    Route measured(Route inner) {
        return extractRequest(request -> {
            long started = System.nanoTime();
            return mapResponse(
                    response -> {
                        Timer.builder("baton.http.requests")
                                .description("Requests answered by the API port, by route and status")
                                .tags(
                                        "method", request.method().name(),
                                        "route", route(request),
                                        "status",
                                                Integer.toString(
                                                        response.status().intValue()))
                                .register(registry)
                                .record(System.nanoTime() - started, java.util.concurrent.TimeUnit.NANOSECONDS);
                        return response;
                    },
                    () -> inner);
        });
    }

    static String route(HttpRequest request) {
        StringBuilder route = new StringBuilder();
        int count = 0;
        for (String segment : request.getUri().pathSegments()) {
            if (segment.isEmpty()) continue;
            if (++count > MAX_SEGMENTS) return route.append("/…").toString();
            route.append('/').append(ROUTE_WORDS.contains(segment) ? segment : "{}");
        }
        return route.isEmpty() ? "/" : route.toString();
    }
}
