package dev.baton.api.workers;

import static akka.http.javadsl.server.Directives.complete;
import static akka.http.javadsl.server.Directives.get;
import static akka.http.javadsl.server.Directives.onSuccess;
import static akka.http.javadsl.server.Directives.pathEndOrSingleSlash;
import static akka.http.javadsl.server.Directives.pathPrefix;
import static akka.http.javadsl.server.PathMatchers.segment;

import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import dev.baton.api.auth.Authentication;
import dev.baton.api.json.Json;
import dev.baton.engine.Engine;
import dev.baton.engine.dispatch.EnvironmentDispatcher.ConnectedWorker;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;

/**
 * {@code GET /api/v1/workers} (Baton's own): the worker sessions connected to the caller's environment, on any
 * node, as the environment's dispatcher knows them from their reports.
 */
public final class WorkerRoutes {

    /**
     * One connected worker session. {@code slotsInUse} is {@code slots − freeSlots}: executions it runs or has been
     * offered; {@code lastReportAt} is when the dispatcher last heard from the session (it reports at least every
     * {@code baton.gateway.report-interval} and whenever a slot frees).
     */
    public record WorkerItem(
            String sessionId,
            String workerId,
            String sdk,
            String version,
            List<String> tasks,
            int slots,
            int slotsInUse,
            int freeSlots,
            int runningRuns,
            Instant connectedAt,
            Instant lastReportAt) {}

    public record WorkersResponse(List<WorkerItem> data) {}

    private final Engine engine;
    private final Authentication authentication;

    public WorkerRoutes(Engine engine, Authentication authentication) {
        this.engine = engine;
        this.authentication = authentication;
    }

    public Route routes() {
        return pathPrefix(
                segment("api").slash("v1").slash("workers"),
                () -> pathEndOrSingleSlash(() -> get(() -> authentication.authenticated(environment -> onSuccess(
                        engine.workers(environment.id()),
                        found -> complete(Json.response(StatusCodes.OK, toWire(found.workers()))))))));
    }

    private static WorkersResponse toWire(List<ConnectedWorker> workers) {
        return new WorkersResponse(workers.stream()
                .sorted(Comparator.comparing(
                                ConnectedWorker::connectedAt, Comparator.nullsLast(Comparator.naturalOrder()))
                        .thenComparing(ConnectedWorker::sessionId))
                .map(WorkerRoutes::toWire)
                .toList());
    }

    private static WorkerItem toWire(ConnectedWorker worker) {
        int slotsInUse = Math.max(0, worker.slots() - worker.freeSlots());
        return new WorkerItem(
                worker.sessionId(),
                worker.workerId(),
                worker.sdk(),
                worker.version(),
                worker.taskIds(),
                worker.slots(),
                slotsInUse,
                worker.freeSlots(),
                worker.runningRuns(),
                worker.connectedAt(),
                worker.lastReportAt());
    }
}
