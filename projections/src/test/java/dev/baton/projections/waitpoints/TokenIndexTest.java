package dev.baton.projections.waitpoints;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.persistence.query.Sequence;
import akka.projection.eventsourced.EventEnvelope;
import dev.baton.engine.storage.Database;
import dev.baton.engine.testkit.TestDatabases;
import dev.baton.engine.waitpoint.TokenSpec;
import dev.baton.engine.waitpoint.WaitpointTokenEntity;
import dev.baton.engine.waitpoint.WaitpointTokenEntity.Event;
import dev.baton.engine.waitpoint.WaitpointTokenEntity.Status;
import dev.baton.engine.waitpoint.WaitpointTokenEntity.TokenCompleted;
import dev.baton.engine.waitpoint.WaitpointTokenEntity.TokenCreated;
import dev.baton.engine.waitpoint.WaitpointTokenEntity.TokenTimedOut;
import dev.baton.engine.waitpoint.WaitpointTokenEntity.WaiterAdded;
import dev.baton.projections.internal.DataSourceJdbcSession;
import dev.baton.projections.listing.ListCursor;
import dev.baton.projections.listing.Page;
import dev.baton.projections.listing.PageRequest;
import dev.baton.projections.waitpoints.TokenList.Filter;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The token index handler and the token list on PostgreSQL and H2: rows follow the events (and a replay
 * changes nothing), every filter matches what it should, and pages walk forwards and back exactly.
 */
class TokenIndexTest {

    private static final Instant START = Instant.parse("2026-03-01T12:00:00Z");
    private static final Instant NOW = START.plus(Duration.ofHours(2));
    private static final String ENV = "env_a";

    static Stream<String> databases() {
        return Stream.of(TestDatabases.freshPostgresSchema("token_index"), TestDatabases.freshH2("token_index"));
    }

    private static Database open(String url) {
        Database database = Database.open(TestDatabases.dbConfig(url));
        database.createSchemaIfMissing();
        database.runSchemaScript(TokenIndexProjection.SCHEMA_SCRIPT);
        database.runSchemaScript(TokenIndexProjection.SCHEMA_SCRIPT);
        return database;
    }

    private final AtomicLong offset = new AtomicLong();

    private void project(Database database, List<EventEnvelope<Event>> envelopes) throws Exception {
        DataSourceJdbcSession session = new DataSourceJdbcSession(database.dataSource());
        try {
            new TokenIndexHandler(new TokenTable(database.dialect())).process(session, envelopes);
            session.commit();
        } finally {
            session.close();
        }
    }

    private EventEnvelope<Event> envelope(String tokenId, long seq, Event event) {
        return EventEnvelope.create(
                Sequence.apply(offset.incrementAndGet()),
                WaitpointTokenEntity.persistenceId(tokenId).id(),
                seq,
                event,
                0L);
    }

    private static TokenSpec spec(String env, Instant timeoutAt, List<String> tags, String key) {
        return new TokenSpec(env, timeoutAt, tags, key, key == null ? null : START.plus(Duration.ofDays(30)), "hash");
    }

    private static TokenRow row(Database database, String tokenId) throws Exception {
        try (Connection connection = database.dataSource().getConnection()) {
            return new TokenTable(database.dialect())
                    .load(connection, List.of(tokenId))
                    .get(tokenId);
        }
    }

    @ParameterizedTest
    @MethodSource("databases")
    void rowsFollowTheEventsAndAReplayChangesNothing(String url) throws Exception {
        try (Database database = open(url)) {
            Instant timeout = START.plusSeconds(60).plusNanos(123_456_789);
            List<EventEnvelope<Event>> events = List.of(
                    envelope(
                            "waitpoint_a",
                            1,
                            new TokenCreated("waitpoint_a", spec(ENV, timeout, List.of("x", "y"), "k"), START)),
                    envelope("waitpoint_a", 2, new WaiterAdded("run_1", START.plusSeconds(1))),
                    envelope(
                            "waitpoint_b", 1, new TokenCreated("waitpoint_b", spec(ENV, null, List.of(), null), START)),
                    envelope("waitpoint_a", 3, new TokenCompleted("{}", START.plusSeconds(2))));
            project(database, events.subList(0, 3));
            TokenRow waiting = row(database, "waitpoint_a");
            assertEquals(Status.WAITING, waiting.status());
            assertEquals(List.of("x", "y"), waiting.tags());
            assertEquals(Instant.parse("2026-03-01T12:01:00.123456Z"), waiting.timeoutAt());
            assertEquals("k", waiting.idempotencyKey());
            assertEquals("hash", waiting.callbackHash());

            project(database, events.subList(3, 4));
            TokenRow completed = row(database, "waitpoint_a");
            assertEquals(Status.COMPLETED, completed.status());
            assertEquals(START.plusSeconds(2), completed.completedAt());
            project(database, events);
            assertEquals(completed, row(database, "waitpoint_a"));

            project(database, List.of(envelope("waitpoint_b", 2, new TokenTimedOut(START.plusSeconds(9)))));
            assertEquals(Status.TIMED_OUT, row(database, "waitpoint_b").status());
            project(database, List.of(envelope("waitpoint_orphan", 2, new TokenTimedOut(START))));
            assertNull(row(database, "waitpoint_orphan"));
        }
    }

    @ParameterizedTest
    @MethodSource("databases")
    void theSweeperFindsWaitingTokensByTimeout(String url) throws Exception {
        try (Database database = open(url)) {
            project(
                    database,
                    List.of(
                            envelope(
                                    "waitpoint_late",
                                    1,
                                    new TokenCreated(
                                            "waitpoint_late",
                                            spec(ENV, START.plusSeconds(90), List.of(), null),
                                            START)),
                            envelope(
                                    "waitpoint_soon",
                                    1,
                                    new TokenCreated(
                                            "waitpoint_soon",
                                            spec(ENV, START.plusSeconds(30), List.of(), null),
                                            START)),
                            envelope(
                                    "waitpoint_never",
                                    1,
                                    new TokenCreated("waitpoint_never", spec(ENV, null, List.of(), null), START)),
                            envelope(
                                    "waitpoint_done",
                                    1,
                                    new TokenCreated(
                                            "waitpoint_done",
                                            spec(ENV, START.plusSeconds(10), List.of(), null),
                                            START)),
                            envelope("waitpoint_done", 2, new TokenCompleted(null, START.plusSeconds(1)))));
            TokenTable table = new TokenTable(database.dialect());
            try (Connection connection = database.dataSource().getConnection()) {
                assertEquals(List.of(), table.timingOutBy(connection, START.plusSeconds(29), 10));
                assertEquals(List.of("waitpoint_soon"), table.timingOutBy(connection, START.plusSeconds(30), 10));
                assertEquals(List.of("waitpoint_soon", "waitpoint_late"), table.timingOutBy(connection, NOW, 10));
                assertEquals(List.of("waitpoint_soon"), table.timingOutBy(connection, NOW, 1));
            }
        }
    }

    /** 60 tokens, one a minute: statuses, keys, tags and environments spread so every filter has a share. */
    private record Generated(String id, String env, Status status, String key, List<String> tags, Instant createdAt) {}

    private List<Generated> generate(Database database) throws Exception {
        List<Generated> tokens = new ArrayList<>();
        List<EventEnvelope<Event>> events = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            String id = String.format("waitpoint_%03d", i);
            String env = i % 5 == 4 ? "env_other" : ENV;
            Status status = i % 3 == 0 ? Status.COMPLETED : i % 3 == 1 ? Status.WAITING : Status.TIMED_OUT;
            String key = i % 10 == 0 ? "key-" + (i / 20) : null;
            List<String> tags = i % 4 == 0 ? List.of("four", "t" + i) : i % 6 == 0 ? List.of("six") : List.of();
            Instant createdAt = START.plus(Duration.ofMinutes(i));
            events.add(envelope(id, 1, new TokenCreated(id, spec(env, null, tags, key), createdAt)));
            if (status == Status.COMPLETED)
                events.add(envelope(id, 2, new TokenCompleted("1", createdAt.plusSeconds(1))));
            if (status == Status.TIMED_OUT) events.add(envelope(id, 2, new TokenTimedOut(createdAt.plusSeconds(1))));
            tokens.add(new Generated(id, env, status, key, tags, createdAt));
        }
        project(database, events);
        Collections.reverse(tokens);
        return tokens;
    }

    /** Walks every page forwards, then back from the last, and checks both against {@code expected}. */
    private static void assertPages(TokenList list, Filter filter, int size, List<String> expected) throws Exception {
        List<String> forwards = new ArrayList<>();
        Page<TokenRow> page = list.page(ENV, filter, new PageRequest(size, null, null));
        assertNull(page.previous());
        List<Page<TokenRow>> pages = new ArrayList<>();
        while (true) {
            pages.add(page);
            page.rows().forEach(token -> forwards.add(token.tokenId()));
            if (page.next() == null) break;
            page = list.page(ENV, filter, new PageRequest(size, page.next(), null));
            assertNotNull(page.previous(), "a page after the first has a previous page");
        }
        assertEquals(expected, forwards);
        Page<TokenRow> last = pages.get(pages.size() - 1);
        List<String> backwards =
                new ArrayList<>(last.rows().stream().map(TokenRow::tokenId).toList());
        Page<TokenRow> back = last;
        while (back.previous() != null) {
            back = list.page(
                    ENV,
                    filter,
                    new PageRequest(
                            size,
                            null,
                            ListCursor.decode(back.previous().encode()).orElseThrow()));
            assertNotNull(back.next());
            backwards.addAll(0, back.rows().stream().map(TokenRow::tokenId).toList());
        }
        assertEquals(expected, backwards);
    }

    @ParameterizedTest
    @MethodSource("databases")
    void everyFilterAndPageSizeListsExactlyTheMatchingTokensNewestFirst(String url) throws Exception {
        try (Database database = open(url)) {
            List<Generated> all = generate(database);
            TokenList list = new TokenList(database.dataSource(), Runnable::run, Clock.fixed(NOW, ZoneOffset.UTC));
            record Case(Filter filter, java.util.function.Predicate<Generated> expected) {}
            Instant from = START.plus(Duration.ofMinutes(10));
            Instant to = START.plus(Duration.ofMinutes(40));
            List<Case> cases = List.of(
                    new Case(Filter.NONE, token -> true),
                    new Case(
                            new Filter(EnumSet.of(Status.WAITING), null, null, null, null, null),
                            token -> token.status() == Status.WAITING),
                    new Case(
                            new Filter(EnumSet.of(Status.COMPLETED, Status.TIMED_OUT), null, null, null, null, null),
                            token -> token.status().isFinal()),
                    new Case(new Filter(null, "key-1", null, null, null, null), token -> "key-1".equals(token.key())),
                    new Case(
                            new Filter(null, null, Set.of("six"), null, null, null),
                            token -> token.tags().contains("six")),
                    new Case(
                            new Filter(null, null, Set.of("six", "four"), null, null, null),
                            token -> !token.tags().isEmpty()),
                    new Case(
                            new Filter(null, null, Set.of("t8"), null, null, null),
                            token -> token.tags().contains("t8")),
                    new Case(
                            new Filter(null, null, null, from, to, null),
                            token -> !token.createdAt().isBefore(from)
                                    && token.createdAt().isBefore(to)),
                    // now is START + 2h: within 90 minutes means created from START + 30m on.
                    new Case(
                            new Filter(null, null, null, null, null, Duration.ofMinutes(90)),
                            token -> !token.createdAt().isBefore(START.plus(Duration.ofMinutes(30)))),
                    new Case(
                            new Filter(EnumSet.of(Status.WAITING), null, Set.of("four"), from, null, null),
                            token -> token.status() == Status.WAITING
                                    && token.tags().contains("four")
                                    && !token.createdAt().isBefore(from)),
                    new Case(new Filter(EnumSet.noneOf(Status.class), null, null, null, null, null), token -> false),
                    new Case(new Filter(null, "no-such-key", null, null, null, null), token -> false));
            for (Case c : cases) {
                List<String> expected = all.stream()
                        .filter(token -> token.env().equals(ENV))
                        .filter(c.expected())
                        .map(Generated::id)
                        .toList();
                for (int size : new int[] {1, 7, 100}) {
                    assertPages(list, c.filter(), size, expected);
                }
            }
            Page<TokenRow> first = list.page(ENV, Filter.NONE, new PageRequest(3, null, null));
            assertEquals(
                    List.of("waitpoint_058", "waitpoint_057", "waitpoint_056"),
                    first.rows().stream().map(TokenRow::tokenId).toList());
            assertEquals(List.of("four", "t56"), first.rows().get(2).tags());
            assertTrue(list.page("env_none", Filter.NONE, new PageRequest(5, null, null))
                    .rows()
                    .isEmpty());
        }
    }
}
