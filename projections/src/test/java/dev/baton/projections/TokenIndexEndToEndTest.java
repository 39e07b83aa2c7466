package dev.baton.projections;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.cluster.sharding.ShardRegion;
import akka.cluster.sharding.typed.GetShardRegionState;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import com.typesafe.config.Config;
import dev.baton.engine.testkit.TestDatabases;
import dev.baton.engine.waitpoint.WaitpointTokenEntity;
import dev.baton.engine.waitpoint.WaitpointTokenEntity.State;
import dev.baton.engine.waitpoint.WaitpointTokenEntity.Status;
import dev.baton.engine.waitpoint.WaitpointTokens.CreateRequest;
import dev.baton.projections.listing.Page;
import dev.baton.projections.listing.PageRequest;
import dev.baton.projections.waitpoints.TokenList;
import dev.baton.projections.waitpoints.TokenRow;
import dev.baton.projections.waitpoints.TokenTable;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Waitpoint tokens on a real node on PostgreSQL: the live token index projection lists them as they are
 * created and completed; a node stops while a token waits for its timeout (the timer dies with it), and on
 * the restarted node only the index remembers: the sweeper wakes the token, which times out on time.
 */
class TokenIndexEndToEndTest {

    private static final String ENV = "env_tokens";

    private TestCluster node;

    @AfterEach
    void stop() {
        if (node != null) node.close();
    }

    private static Optional<TokenRow> row(TestCluster node, String tokenId) throws Exception {
        try (Connection connection = node.database().dataSource().getConnection()) {
            return Optional.ofNullable(new TokenTable(node.database().dialect())
                    .load(connection, List.of(tokenId))
                    .get(tokenId));
        }
    }

    private static boolean hasStatus(TestCluster node, String tokenId, Status status) throws Exception {
        return row(node, tokenId).map(row -> row.status() == status).orElse(false);
    }

    private static Set<String> liveTokens(TestCluster node) {
        TestProbe<ShardRegion.CurrentShardRegionState> probe = node.testKit().createTestProbe();
        ClusterSharding.get(node.system())
                .shardState()
                .tell(new GetShardRegionState(WaitpointTokenEntity.ENTITY_TYPE_KEY, probe.ref()));
        return probe.receiveMessage().getShards().stream()
                .flatMap(shard -> shard.getEntityIds().stream())
                .collect(Collectors.toSet());
    }

    private State create(Instant timeoutAt, List<String> tags) throws Exception {
        return node.engine()
                .tokens()
                .create(ENV, new CreateRequest(timeoutAt, tags, null, null))
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS)
                .token();
    }

    @Test
    void theIndexFollowsTokensAndTheSweeperTimesThemOutAfterARestart() throws Exception {
        Config config = TestCluster.postgresConfig(TestDatabases.freshPostgresSchema("token_e2e"), """
        baton.projections.waitpoint-index.sweep-interval = 200ms
        baton.projections.waitpoint-index.wake-ahead = 500ms
        """);
        node = TestCluster.start("TokenIndexEndToEndTest", config);
        State approval = create(null, List.of("approval", "user:7"));
        // Room for two index waits, the queries and a node stop on a busy machine, all before the timeout.
        Instant timeoutAt = Instant.now().plusSeconds(12);
        State timing = create(timeoutAt, List.of());

        TestCluster first = node;
        TestCluster.await(
                () -> hasStatus(first, approval.tokenId(), Status.WAITING)
                        && hasStatus(first, timing.tokenId(), Status.WAITING),
                Duration.ofSeconds(20),
                "the index to list both");
        TokenList list = TokenList.create(node.system(), node.database(), Clock.systemUTC());
        Page<TokenRow> tagged = list.list(
                        ENV,
                        new TokenList.Filter(null, null, Set.of("user:7"), null, null, null),
                        new PageRequest(10, null, null))
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        assertEquals(
                List.of(approval.tokenId()),
                tagged.rows().stream().map(TokenRow::tokenId).toList());
        assertEquals(List.of("approval", "user:7"), tagged.rows().get(0).tags());

        node.engine()
                .tokens()
                .complete(ENV, approval.tokenId(), "{\"ok\":true}")
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        TestCluster.await(
                () -> hasStatus(first, approval.tokenId(), Status.COMPLETED),
                Duration.ofSeconds(20),
                "the completion to be indexed");
        Page<TokenRow> waiting = list.list(
                        ENV,
                        new TokenList.Filter(EnumSet.of(Status.WAITING), null, null, null, null, null),
                        new PageRequest(10, null, null))
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        assertEquals(
                List.of(timing.tokenId()),
                waiting.rows().stream().map(TokenRow::tokenId).toList());

        // The crash: the timeout timer is gone with the node.
        node.close();
        node = null;
        assertTrue(
                Instant.now().isBefore(timeoutAt), "the node must stop before the timeout, or the test proves nothing");
        node = TestCluster.start("TokenIndexEndToEndTest", config);
        assertFalse(liveTokens(node).contains(timing.tokenId()), "nothing woke the token on the new node yet");

        TestCluster restarted = node;
        TestCluster.await(
                () -> hasStatus(restarted, timing.tokenId(), Status.TIMED_OUT),
                Duration.ofSeconds(45),
                "the sweeper to wake the token and the token to time out");
        TokenRow timedOut = row(node, timing.tokenId()).orElseThrow();
        assertFalse(
                timedOut.completedAt().isBefore(timeoutAt.truncatedTo(java.time.temporal.ChronoUnit.MILLIS)),
                "timed out at " + timedOut.completedAt() + ", before its timeout " + timeoutAt);
        State state = node.engine()
                .tokens()
                .get(ENV, timing.tokenId())
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS)
                .orElseThrow();
        assertEquals(Status.TIMED_OUT, state.status());
        assertEquals(
                Status.COMPLETED, row(node, approval.tokenId()).orElseThrow().status());
    }
}
