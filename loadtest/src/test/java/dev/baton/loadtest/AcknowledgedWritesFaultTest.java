package dev.baton.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.engine.batch.BatchService;
import dev.baton.engine.testkit.TestDatabases;
import dev.baton.node.NodeProcess;
import dev.baton.node.TestNodes;
import dev.baton.sdk.worker.BatonWorker;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A 2xx means stored, for every kind of write the API answers, not only triggers: each kind is made once, and
 * SIGKILL follows the last 2xx of a round at once (no pause, so a write still in memory would be lost). The
 * node restarts on the same store and the writes' effects must be there. Round 1 creates (a packet upload, single
 * triggers, idempotency and request keys, v3/v2/v1 batches, waitpoint tokens, schedules); round 2 changes
 * (reschedule, tags, metadata, cancel, replay, idempotency key reset, a trigger of the packet's payload, token
 * completion by the API and by its callback URL, schedule update, delete and deactivate); round 3 uses the reset
 * key and activates. The invariant checker then
 * finds every acknowledged run and nothing else. On the embedded H2 store as {@code baton dev} runs it, and on
 * PostgreSQL; the node's log and store stay under {@code target/faults}.
 */
@Tag("faults")
class AcknowledgedWritesFaultTest {

    private static final Duration SETTLE = Duration.ofSeconds(30);
    private static final String NEVER_IN_THIS_TEST = "0 0 1 1 *";
    private static final String ALSO_NEVER = "0 0 2 1 *";
    private static final String PACKET = "{\"large\":\"payload\"}";
    private static final String THREE_ITEMS = "{\"index\":0,\"task\":\"fault-noop\"}\n"
            + "{\"index\":1,\"task\":\"fault-noop\"}\n{\"index\":2,\"task\":\"fault-noop\"}\n";

    private final Set<String> acceptedRunIds = new HashSet<>();
    private final List<String> timeline = new ArrayList<>();
    private NodeProcess.Store store;
    private int port;
    private Path log;
    private NodeProcess node;
    private FaultApi api;
    private int kills;
    private Instant roundStarted;
    private int writesBeforeRound;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"h2", "postgres"})
    void everyAcknowledgedWriteSurvivesKill9(String storeName) throws Exception {
        Path dir = FaultRuns.directory("acknowledged-writes-" + storeName + "-" + System.currentTimeMillis());
        store = storeName.equals("h2")
                ? NodeProcess.Store.h2(dir.resolve("data"))
                : NodeProcess.Store.postgres(TestDatabases.freshPostgresSchema("ackwrites"));
        port = NodeProcess.freePort();
        log = dir.resolve("node.log");
        Instant since = Instant.now();
        NoopFleet.Recorder recorder = new NoopFleet.Recorder();
        node = NodeProcess.start(store, port, NodeKillFaultTest.FAST_RECOVERY, log);
        api = new FaultApi(node.url(), TestNodes.SECRET_KEY);
        try (BatonWorker worker = FaultTasks.startWorker(node.url(), TestNodes.WORKER_TOKEN, 8, recorder)) {
            startRound();
            Created created = create();
            killRightAfterTheLastAnswerAndRestart("round 1 (creations)");
            checkCreated(created);

            // The token must have its waiting run before it is completed, so the completion has someone to resume.
            FaultApi.await(
                    SETTLE,
                    () -> "WAITING"
                                    .equals(run(created.waitingForToken())
                                            .path("status")
                                            .asText())
                            ? true
                            : null);
            startRound();
            Changed changed = change(created);
            killRightAfterTheLastAnswerAndRestart("round 2 (changes)");
            checkChanged(created, changed);

            startRound();
            String newKeyRun = reuseTheResetKeyAndActivate(created);
            killRightAfterTheLastAnswerAndRestart("round 3 (the reset key reused, an activation)");
            assertEquals(newKeyRun, run(newKeyRun).path("id").asText(), "the run the reset key made is lost");
            assertTrue(
                    api.get("/api/v1/schedules/" + created.toggled())
                            .path("active")
                            .asBoolean(),
                    "activation lost");

            System.out.println("AcknowledgedWritesFaultTest[" + storeName + "]: " + String.join(", ", timeline));
            Instant checking = Instant.now();
            InvariantChecker checker =
                    new InvariantChecker(store.jdbcUrl(), store.user(), store.password(), null, null);
            InvariantChecker.Report report = checker.check(
                    new InvariantChecker.Expectation(
                            since,
                            acceptedRunIds.size(),
                            0,
                            Set.copyOf(acceptedRunIds),
                            recorder.executions(),
                            FaultTasks.ALL,
                            Set.of(created.delayed()),
                            kills),
                    Duration.ofSeconds(60));
            System.out.println("AcknowledgedWritesFaultTest[" + storeName + "]: " + kills + " kills, "
                    + acceptedRunIds.size()
                    + " runs accepted; checked " + report.runs() + " runs, " + report.journalEvents() + " events, "
                    + report.violations().size() + " violations in "
                    + Duration.between(checking, Instant.now()).toMillis()
                    + " ms; " + Duration.between(since, Instant.now()).toSeconds() + " s in all");
            assertTrue(report.ok(), () -> "invariants violated:\n" + String.join("\n", report.listed(30)));
        } finally {
            node.close();
        }
    }

    private record Created(
            String delayed,
            String toCancel,
            String keyed,
            String key,
            String requestKeyed,
            String requestKey,
            String token,
            String tokenKey,
            String callbackToken,
            String callbackUrl,
            String waitingForToken,
            List<String> batchRuns,
            String updated,
            String deleted,
            String toggled,
            String packetPath,
            String packetDownload) {}

    private Created create() throws Exception {
        // A packet as the SDK uploads a large payload: presigned with the environment's secret, then PUT.
        String packetPath = "ack-" + System.nanoTime() + "/payload.json";
        String upload = api.put("/api/v2/packets/" + packetPath, "{}")
                .path("presignedUrl")
                .asText();
        api.put(upload, PACKET);
        String packetDownload =
                api.get("/api/v1/packets/" + packetPath).path("presignedUrl").asText();
        String delayed = trigger(FaultTasks.NOOP, "{\"payload\":{},\"options\":{\"delay\":\"1h\"}}", Map.of());
        String toCancel = trigger(FaultTasks.NOOP, "{\"payload\":{},\"options\":{\"delay\":\"1h\"}}", Map.of());
        String key = "ack-key-" + System.nanoTime();
        String keyed =
                trigger(FaultTasks.NOOP, "{\"payload\":{},\"options\":{\"idempotencyKey\":\"" + key + "\"}}", Map.of());
        String requestKey = "ack-request-" + System.nanoTime();
        String requestKeyed =
                trigger(FaultTasks.NOOP, "{\"payload\":{}}", Map.of("x-trigger-request-idempotency-key", requestKey));
        String tokenKey = "ack-token-" + System.nanoTime();
        String token = api.post("/api/v1/waitpoints/tokens", "{\"idempotencyKey\":\"" + tokenKey + "\"}")
                .path("id")
                .asText();
        JsonNode callbackToken = api.post("/api/v1/waitpoints/tokens", "{}");
        String waiting = trigger(FaultTasks.TOKEN, "{\"payload\":{\"tokenId\":\"" + token + "\"}}", Map.of());
        List<String> batchRuns = new ArrayList<>();
        String v3 = api.post("/api/v3/batches", "{\"runCount\":3}").path("id").asText();
        JsonNode items = api.postNdjson("/api/v3/batches/" + v3 + "/items", THREE_ITEMS);
        assertTrue(items.path("sealed").asBoolean(), "v3 items: " + items);
        for (int index = 0; index < 3; index++) batchRuns.add(BatchService.itemRunId(v3, index));
        String twoItems =
                "{\"items\":[{\"task\":\"fault-noop\",\"payload\":{}},{\"task\":\"fault-noop\",\"payload\":{}}]}";
        String v2 = api.post("/api/v2/tasks/batch", twoItems).path("id").asText();
        for (int index = 0; index < 2; index++) batchRuns.add(BatchService.itemRunId(v2, index));
        for (JsonNode run : api.post("/api/v1/tasks/batch", twoItems).path("runs"))
            batchRuns.add(run.path("id").asText());
        acceptedRunIds.addAll(batchRuns);
        String updated = schedule("ack-updated");
        String deleted = schedule("ack-deleted");
        String toggled = schedule("ack-toggled");
        return new Created(
                delayed,
                toCancel,
                keyed,
                key,
                requestKeyed,
                requestKey,
                token,
                tokenKey,
                callbackToken.path("id").asText(),
                callbackToken.path("url").asText(),
                waiting,
                batchRuns,
                updated,
                deleted,
                toggled,
                packetPath,
                packetDownload);
    }

    private void checkCreated(Created created) throws Exception {
        assertEquals(
                PACKET,
                api.get(created.packetDownload()).toString(),
                "the packet (or the secret signing its URL) was lost");
        assertEquals("DELAYED", run(created.delayed()).path("status").asText());
        assertEquals("DELAYED", run(created.toCancel()).path("status").asText());
        for (String runId : List.of(created.keyed(), created.requestKeyed(), created.waitingForToken())) run(runId);
        for (String runId : created.batchRuns()) run(runId);
        JsonNode again = api.post(
                "/api/v1/tasks/fault-noop/trigger",
                "{\"payload\":{},\"options\":{\"idempotencyKey\":\"" + created.key() + "\"}}");
        assertEquals(created.keyed(), again.path("id").asText(), "the idempotency key's claim was lost");
        JsonNode resent = api.post(
                "/api/v1/tasks/fault-noop/trigger",
                "{\"payload\":{}}",
                Map.of("x-trigger-request-idempotency-key", created.requestKey()));
        assertEquals(created.requestKeyed(), resent.path("id").asText(), "the request key's claim was lost");
        assertEquals(
                "WAITING",
                api.get("/api/v1/waitpoints/tokens/" + created.token())
                        .path("status")
                        .asText());
        JsonNode sameToken =
                api.post("/api/v1/waitpoints/tokens", "{\"idempotencyKey\":\"" + created.tokenKey() + "\"}");
        assertEquals(created.token(), sameToken.path("id").asText(), "the token's idempotency key was lost");
        api.get("/api/v1/waitpoints/tokens/" + created.callbackToken());
        for (String schedule : List.of(created.updated(), created.deleted(), created.toggled())) {
            api.get("/api/v1/schedules/" + schedule);
        }
        FaultApi.await(SETTLE, () -> {
            assertTrue(
                    listedSchedules()
                            .keySet()
                            .containsAll(Set.of(created.updated(), created.deleted(), created.toggled())),
                    "the schedule list lacks a created schedule: " + listedSchedules());
            return true;
        });
    }

    private record Changed(String delayedUntil, JsonNode metadata, String replay, String fromPacket) {}

    private Changed change(Created created) throws Exception {
        String delayedUntil = api.post("/api/v1/runs/" + created.delayed() + "/reschedule", "{\"delay\":\"2h\"}")
                .path("delayedUntil")
                .asText();
        api.post("/api/v1/runs/" + created.delayed() + "/tags", "{\"tags\":[\"ack-tag-1\",\"ack-tag-2\"]}");
        JsonNode metadata = api.put(
                        "/api/v1/runs/" + created.delayed() + "/metadata",
                        "{\"metadata\":{\"acknowledged\":"
                                + "true},\"operations\":[{\"type\":\"append\",\"key\":"
                                + "\"writes\",\"value\":\"metadata\"}]}")
                .path("metadata");
        api.post("/api/v2/runs/" + created.toCancel() + "/cancel", "{}");
        String replay = api.post("/api/v1/runs/" + created.keyed() + "/replay", "{}")
                .path("id")
                .asText();
        acceptedRunIds.add(replay);
        String fromPacket = trigger(
                FaultTasks.NOOP,
                "{\"payload\":\"" + created.packetPath() + "\",\"options\":{\"payloadType\":\"application/store\"}}",
                Map.of());
        api.post("/api/v1/idempotencyKeys/" + created.key() + "/reset", "{\"taskIdentifier\":\"fault-noop\"}");
        api.post("/api/v1/waitpoints/tokens/" + created.token() + "/complete", "{\"data\":{\"approved\":true}}");
        api.post(created.callbackUrl(), "{\"via\":\"callback\"}");
        api.put("/api/v1/schedules/" + created.updated(), "{\"task\":\"fault-noop\",\"cron\":\"" + ALSO_NEVER + "\"}");
        api.delete("/api/v1/schedules/" + created.deleted());
        api.post("/api/v1/schedules/" + created.toggled() + "/deactivate", "{}");
        return new Changed(delayedUntil, metadata, replay, fromPacket);
    }

    private void checkChanged(Created created, Changed changed) throws Exception {
        JsonNode delayed = run(created.delayed());
        assertEquals("DELAYED", delayed.path("status").asText());
        assertEquals(changed.delayedUntil(), delayed.path("delayedUntil").asText(), "the reschedule was lost");
        assertTrue(
                delayed.path("tags").toString().contains("ack-tag-2"), "the tags were lost: " + delayed.path("tags"));
        assertEquals(changed.metadata(), delayed.path("metadata"), "the metadata update was lost");
        assertEquals("CANCELED", run(created.toCancel()).path("status").asText(), "the cancel was lost");
        run(changed.replay());
        assertEquals(PACKET, run(changed.fromPacket()).path("payload").toString(), "the run of the packet's payload");
        assertEquals(
                "COMPLETED",
                api.get("/api/v1/waitpoints/tokens/" + created.token())
                        .path("status")
                        .asText());
        assertEquals(
                "COMPLETED",
                api.get("/api/v1/waitpoints/tokens/" + created.callbackToken())
                        .path("status")
                        .asText());
        JsonNode resumed = FaultApi.await(SETTLE, () -> {
            JsonNode run = run(created.waitingForToken());
            return "COMPLETED".equals(run.path("status").asText()) ? run : null;
        });
        assertEquals("{\"approved\":true}", resumed.path("output").path("data").toString(), "resumed with " + resumed);
        JsonNode updated = api.get("/api/v1/schedules/" + created.updated());
        assertEquals(ALSO_NEVER, updated.path("generator").path("expression").asText(), "the schedule update was lost");
        assertEquals(404, api.read("/api/v1/schedules/" + created.deleted()).status(), "the schedule delete was lost");
        assertFalse(
                api.get("/api/v1/schedules/" + created.toggled()).path("active").asBoolean(), "deactivation lost");
        FaultApi.await(SETTLE, () -> {
            Map<String, JsonNode> listed = listedSchedules();
            assertFalse(listed.containsKey(created.deleted()), "the schedule list still shows the deleted schedule");
            assertEquals(
                    ALSO_NEVER,
                    listed.get(created.updated())
                            .path("generator")
                            .path("expression")
                            .asText());
            JsonNode tagged = api.get("/api/v1/runs?filter%5Btag%5D=ack-tag-1").path("data");
            assertTrue(tagged.toString().contains(created.delayed()), "the run list by tag lacks the tagged run");
            return true;
        });
    }

    private String reuseTheResetKeyAndActivate(Created created) throws Exception {
        String newKeyRun = trigger(
                FaultTasks.NOOP,
                "{\"payload\":{},\"options\":{\"idempotencyKey\":\"" + created.key() + "\"}}",
                Map.of());
        assertNotEquals(created.keyed(), newKeyRun, "the key was reset, so its next trigger makes a new run");
        api.post("/api/v1/schedules/" + created.toggled() + "/activate", "{}");
        return newKeyRun;
    }

    private void startRound() {
        roundStarted = Instant.now();
        writesBeforeRound = api.writesAcknowledged();
    }

    /** SIGKILL at once after the round's last 2xx, then a node on the same store. */
    private void killRightAfterTheLastAnswerAndRestart(String round) throws Exception {
        node.kill();
        kills++;
        timeline.add(round + ": " + (api.writesAcknowledged() - writesBeforeRound) + " writes acknowledged in "
                + Duration.between(roundStarted, Instant.now()).toMillis() + " ms, killed");
        Instant restarting = Instant.now();
        node = NodeProcess.start(store, port, NodeKillFaultTest.FAST_RECOVERY, log);
        api = new FaultApi(node.url(), TestNodes.SECRET_KEY);
        timeline.add(
                "restarted in " + Duration.between(restarting, Instant.now()).toMillis() + " ms");
    }

    private String trigger(String task, String body, Map<String, String> headers) throws Exception {
        String runId = api.post("/api/v1/tasks/" + task + "/trigger", body, headers)
                .path("id")
                .asText();
        acceptedRunIds.add(runId);
        return runId;
    }

    private JsonNode run(String runId) throws Exception {
        return api.get("/api/v3/runs/" + runId);
    }

    private String schedule(String deduplicationKey) throws Exception {
        return api.post(
                        "/api/v1/schedules",
                        "{\"task\":\"fault-noop\",\"cron\":\"" + NEVER_IN_THIS_TEST + "\",\"deduplicationKey\":\""
                                + deduplicationKey + "\"}")
                .path("id")
                .asText();
    }

    private Map<String, JsonNode> listedSchedules() throws Exception {
        Map<String, JsonNode> listed = new HashMap<>();
        for (JsonNode schedule : api.get("/api/v1/schedules?perPage=100").path("data")) {
            listed.put(schedule.path("id").asText(), schedule);
        }
        return listed;
    }
}
