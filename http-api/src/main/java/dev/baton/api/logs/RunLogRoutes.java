package dev.baton.api.logs;

import static akka.http.javadsl.server.Directives.complete;
import static akka.http.javadsl.server.Directives.completeOK;
import static akka.http.javadsl.server.Directives.get;
import static akka.http.javadsl.server.Directives.onSuccess;
import static akka.http.javadsl.server.Directives.optionalHeaderValueByName;
import static akka.http.javadsl.server.Directives.parameterMultiMap;
import static akka.http.javadsl.server.Directives.path;
import static akka.http.javadsl.server.PathMatchers.segment;

import akka.NotUsed;
import akka.http.javadsl.marshalling.sse.EventStreamMarshalling;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.model.sse.ServerSentEvent;
import akka.http.javadsl.server.Route;
import akka.japi.Pair;
import akka.stream.javadsl.Source;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.api.auth.Authentication;
import dev.baton.api.auth.Caller;
import dev.baton.api.errors.ApiException;
import dev.baton.api.errors.ErrorHandling;
import dev.baton.api.json.Json;
import dev.baton.api.runs.ApiRunStatus;
import dev.baton.api.runs.RunRoutes;
import dev.baton.engine.Engine;
import dev.baton.engine.changes.RunChangeFeed;
import dev.baton.engine.logs.LogLevel;
import dev.baton.engine.logs.RunLogFeed;
import dev.baton.engine.logs.RunLogs;
import dev.baton.engine.logs.StoredLogLine;
import dev.baton.engine.run.RunState;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * {@code GET /api/v1/runs/{id}/logs}: a run's log lines, oldest first, in keyset pages by sequence number, or with
 * {@code follow=true} as Server-Sent Events until the run has ended and its lines are sent. Read as
 * {@code GET /api/v3/runs/{id}}: any caller of the run's environment, a public token with read scope on the run.
 */
public final class RunLogRoutes {

    static final String ATTEMPT = "attempt";
    static final String LEVEL = "level";
    static final String AFTER = "page[after]";
    static final String PAGE_SIZE = "page[size]";
    static final String FOLLOW = "follow";
    private static final Set<String> PARAMETERS = Set.of(ATTEMPT, LEVEL, AFTER, PAGE_SIZE, FOLLOW);
    static final int DEFAULT_PAGE_SIZE = 100;
    static final int MAX_PAGE_SIZE = 1000;
    /** After the run ended, a follower waits this long for lines still on their way before it ends the stream. */
    static final Duration END_GRACE = Duration.ofSeconds(1);

    private static final Duration KEEP_ALIVE = Duration.ofSeconds(15);

    private final Engine engine;
    private final RunLogs logs;
    private final Authentication authentication;
    private final Clock clock;

    public RunLogRoutes(Engine engine, RunLogs logs, Authentication authentication, Clock clock) {
        this.engine = engine;
        this.logs = logs;
        this.authentication = authentication;
        this.clock = clock;
    }

    public Route routes() {
        return path(
                segment("api").slash("v1").slash("runs").slash(segment()).slash("logs"),
                runId -> get(() -> authentication.caller(caller -> parameterMultiMap(query -> optionalHeaderValueByName(
                        "Last-Event-ID", lastEventId -> logs(caller, runId, Query.of(query, lastEventId)))))));
    }

    /** The query, validated: every parameter is honoured or refused with a 400 naming it. */
    record Query(Integer attempt, LogLevel level, long after, int pageSize, boolean follow) {

        static Query of(Map<String, List<String>> query, Optional<String> lastEventId) {
            for (String name : query.keySet())
                if (!PARAMETERS.contains(name))
                    throw ApiException.badRequest("Unknown query parameter " + name + " (one of " + PARAMETERS + ")");
            Integer attempt = null;
            String attemptValue = single(query, ATTEMPT);
            if (attemptValue != null) {
                if (!attemptValue.matches("^\\d{1,9}$") || Integer.parseInt(attemptValue) < 1)
                    throw invalid(ATTEMPT, "expected an attempt number, an integer of at least 1");
                attempt = Integer.parseInt(attemptValue);
            }
            LogLevel level = null;
            String levelValue = single(query, LEVEL);
            if (levelValue != null) {
                level = LogLevel.fromWire(levelValue)
                        .orElseThrow(() -> invalid(LEVEL, "expected one of trace, debug, info, warn, error"));
            }
            String afterValue = single(query, AFTER);
            if (afterValue == null)
                afterValue = lastEventId.filter(id -> !id.isBlank()).orElse(null);
            long after = 0;
            if (afterValue != null) {
                if (!afterValue.matches("^\\d{1,18}$"))
                    throw invalid(AFTER, "expected the seq of a line from an earlier page");
                after = Long.parseLong(afterValue);
            }
            int pageSize = DEFAULT_PAGE_SIZE;
            String sizeValue = single(query, PAGE_SIZE);
            if (sizeValue != null) {
                if (!sizeValue.matches("^\\d{1,9}$")
                        || Integer.parseInt(sizeValue) < 1
                        || Integer.parseInt(sizeValue) > MAX_PAGE_SIZE)
                    throw invalid(PAGE_SIZE, "expected an integer from 1 to " + MAX_PAGE_SIZE);
                pageSize = Integer.parseInt(sizeValue);
            }
            String followValue = single(query, FOLLOW);
            if (followValue != null && !followValue.equals("true") && !followValue.equals("false"))
                throw invalid(FOLLOW, "expected true or false");
            boolean follow = "true".equals(followValue);
            if (follow && sizeValue != null)
                throw invalid(PAGE_SIZE, "not with follow=true, which sends every line as it is stored");
            return new Query(attempt, level, after, pageSize, follow);
        }

        private static String single(Map<String, List<String>> query, String name) {
            List<String> values = query.getOrDefault(name, List.of());
            if (values.size() > 1) throw invalid(name, "expected a single value");
            return values.isEmpty() || values.get(0).isEmpty() ? null : values.get(0);
        }

        private static ApiException invalid(String name, String problem) {
            return ApiException.badRequest("Invalid query parameter " + name + ": " + problem);
        }
    }

    private Route logs(Caller caller, String runId, Query query) {
        String environmentId = caller.environment().id();
        return onSuccess(engine.runs().get(environmentId, runId), found -> {
            if (found.isEmpty()) return complete(ErrorHandling.runNotFound());
            RunRoutes.requireRead(caller, found.get());
            if (query.follow())
                return completeOK(follow(environmentId, runId, query), EventStreamMarshalling.toEventStream());
            return onSuccess(
                    logs.read(environmentId, runId, query.attempt(), query.level(), query.after(), query.pageSize()),
                    page -> complete(Json.response(StatusCodes.OK, pageBody(page, query.pageSize()))));
        });
    }

    private static ObjectNode pageBody(List<StoredLogLine> page, int pageSize) {
        ObjectNode body = Json.mapper().createObjectNode();
        ArrayNode data = body.putArray("data");
        page.forEach(line -> data.add(lineJson(line)));
        ObjectNode pagination = body.putObject("pagination");
        if (page.size() == pageSize)
            pagination.put("next", String.valueOf(page.get(page.size() - 1).seq()));
        else pagination.putNull("next");
        return body;
    }

    static ObjectNode lineJson(StoredLogLine stored) {
        var line = stored.line();
        ObjectNode json = Json.mapper().createObjectNode();
        json.put("seq", stored.seq());
        json.put("runId", line.runId());
        json.put("attemptId", line.attemptId());
        json.put("attemptNumber", line.attemptNumber());
        json.put("timestamp", Json.timestamp(line.timestamp()));
        json.put("level", line.level().wireName());
        json.put("message", line.message());
        JsonNode attributes = line.attributesJson() == null ? null : Json.readStored(line.attributesJson());
        json.set("attributes", attributes == null ? Json.mapper().createObjectNode() : attributes);
        if (line.errorJson() != null) json.set("error", Json.readStored(line.errorJson()));
        return json;
    }

    // ---------------------------------------------------------------- follow

    /**
     * Where a follower is: the last sequence number sent, whether the last read filled a page (then the next read
     * follows at once), when it first saw the run final, and whether it sent the end.
     */
    private record Position(long after, boolean more, Instant finalSince, boolean ended) {}

    /**
     * Lines as events ({@code event: log}, {@code id} the seq), read after each notice that the run's lines were
     * stored or that the run changed, and at least every {@code follow-interval}; {@code event: end} with the run's
     * status once the run is final and a read {@link #END_GRACE} after that found nothing new.
     */
    private Source<ServerSentEvent, NotUsed> follow(String environmentId, String runId, Query query) {
        Signal signal = new Signal();
        RunLogFeed.Subscription lines = logs.feed().subscribe(environmentId, appended -> {
            if (appended.runId().equals(runId)) signal.fire();
        });
        // the run's own change notices tell the follower at once when the run has ended
        RunChangeFeed.Subscription changes = engine.changes().subscribe(environmentId, change -> {
            if (change.runId().equals(runId)) signal.fire();
        });
        Duration interval = logs.settings().followInterval();
        Source<ServerSentEvent, NotUsed> events = Source.unfoldAsync(
                        new Position(query.after(), true, null, false),
                        position -> position.ended()
                                ? CompletableFuture.completedFuture(Optional.empty())
                                : (position.more()
                                                ? CompletableFuture.completedFuture(true)
                                                : signal.await(wait(position, interval)))
                                        .thenCompose(woken -> step(environmentId, runId, query, position))
                                        .thenApply(Optional::of))
                .mapConcat(batch -> batch);
        return events.keepAlive(KEEP_ALIVE, ServerSentEvent::heartbeat).watchTermination((notUsed, done) -> {
            done.whenComplete((ok, failure) -> {
                lines.close();
                changes.close();
            });
            return NotUsed.getInstance();
        });
    }

    /** How long to wait for a notice: the follow interval, or what is left of the end's grace once the run is final. */
    private Duration wait(Position position, Duration interval) {
        if (position.finalSince() == null) return interval;
        Duration left = Duration.between(clock.instant(), position.finalSince().plus(END_GRACE));
        return left.compareTo(Duration.ofMillis(50)) < 0 ? Duration.ofMillis(50) : left;
    }

    private CompletionStage<Pair<Position, List<ServerSentEvent>>> step(
            String environmentId, String runId, Query query, Position position) {
        // The run's status is read before its lines: lines stored before it ended are then in this read.
        return engine.runs()
                .get(environmentId, runId)
                .thenCompose(run -> logs.read(
                                environmentId, runId, query.attempt(), query.level(), position.after(), MAX_PAGE_SIZE)
                        .thenApply(page -> next(run, page, position)));
    }

    private Pair<Position, List<ServerSentEvent>> next(
            Optional<RunState> run, List<StoredLogLine> page, Position position) {
        List<ServerSentEvent> events = new ArrayList<>();
        long after = position.after();
        for (StoredLogLine line : page) {
            events.add(ServerSentEvent.create(Json.write(lineJson(line)), "log", String.valueOf(line.seq())));
            after = line.seq();
        }
        Instant now = clock.instant();
        boolean isFinal = run.map(state -> state.status().isFinal()).orElse(true);
        Instant finalSince = !isFinal ? null : position.finalSince() == null ? now : position.finalSince();
        boolean ended = isFinal && page.isEmpty() && !now.isBefore(finalSince.plus(END_GRACE));
        if (ended) {
            ObjectNode end = Json.mapper().createObjectNode();
            // a run gone since (never in practice: runs are not deleted) ends the stream without a status
            run.filter(RunState::exists)
                    .ifPresent(state ->
                            end.put("status", ApiRunStatus.of(state.status()).name()));
            events.add(ServerSentEvent.create(Json.write(end), "end"));
        }
        return Pair.create(new Position(after, page.size() == MAX_PAGE_SIZE, finalSince, ended), events);
    }

    /** Wakes a follower when its run's lines were stored; a notice during a read wakes the next wait at once. */
    private static final class Signal {
        /** True when a notice came while nobody waited. */
        private boolean pending;

        private CompletableFuture<Boolean> waiter;

        synchronized void fire() {
            if (waiter != null) {
                waiter.complete(true);
                waiter = null;
            } else {
                pending = true;
            }
        }

        /** Completes with true on a notice, with false after {@code timeout}. */
        synchronized CompletionStage<Boolean> await(Duration timeout) {
            if (pending) {
                pending = false;
                return CompletableFuture.completedFuture(true);
            }
            CompletableFuture<Boolean> current = new CompletableFuture<>();
            waiter = current;
            return current.completeOnTimeout(false, timeout.toMillis(), TimeUnit.MILLISECONDS)
                    .whenComplete((woken, failure) -> forget(current));
        }

        private synchronized void forget(CompletableFuture<Boolean> done) {
            if (waiter == done) waiter = null;
        }
    }
}
