package dev.baton.api.schedules;

import static dev.baton.api.ApiTestServer.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.persistence.query.Offset;
import akka.persistence.query.PersistenceQuery;
import akka.persistence.testkit.query.javadsl.PersistenceTestKitReadJournal;
import akka.projection.eventsourced.EventEnvelope;
import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.api.ApiTestServer;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.schedule.ScheduleEntity;
import dev.baton.engine.schedule.ScheduleSpec;
import dev.baton.projections.internal.DataSourceJdbcSession;
import dev.baton.projections.schedules.ScheduleIndexHandler;
import dev.baton.projections.schedules.ScheduleIndexProjection;
import dev.baton.projections.schedules.ScheduleTable;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code /api/v1/schedules} and {@code /api/v1/timezones} on a real port: shapes, upserts and every 4xx. */
class ScheduleRoutesTest {

    private static final String KEY = "tr_dev_schedule_routes";
    private static final String OTHER_KEY = "tr_prod_schedule_routes";
    private static final String SCHEDULES = "/api/v1/schedules";

    private static ApiTestServer server;
    private static Environment environment;

    @BeforeAll
    static void start() throws Exception {
        server = ApiTestServer.start("ScheduleRoutesTest");
        server.node().database().runSchemaScript(ScheduleIndexProjection.SCHEMA_SCRIPT);
        environment = server.environment("schedules", "dev", KEY);
        Environment other = server.environment("schedules", "prod", OTHER_KEY);
        server.declareTask(environment, "report");
        server.declareTask(other, "report");
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    private static JsonNode create(String body) throws Exception {
        HttpResponse<String> response = server.post(SCHEDULES, KEY, body);
        assertEquals(200, response.statusCode(), response.body());
        return json(response);
    }

    private static void assertError(HttpResponse<String> response, int status, String message) throws Exception {
        assertEquals(status, response.statusCode(), response.body());
        assertEquals(Set.of("error"), fieldNames(json(response)));
        if (message != null) assertEquals(message, json(response).get("error").asText());
    }

    private static Set<String> fieldNames(JsonNode node) {
        Set<String> names = new HashSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    /**
     * The schedule index, brought up to date from the journal through its own handler (the testkit has no live query).
     */
    private static void projectSchedules() throws Exception {
        PersistenceTestKitReadJournal journal = PersistenceQuery.get(
                        server.node().system())
                .getReadJournalFor(PersistenceTestKitReadJournal.class, PersistenceTestKitReadJournal.Identifier());
        List<EventEnvelope<ScheduleEntity.Event>> envelopes = new ArrayList<>();
        journal.currentEventsByTag(ScheduleEntity.TAG, Offset.noOffset())
                .runForeach(
                        envelope -> envelopes.add(EventEnvelope.create(
                                envelope.offset(),
                                envelope.persistenceId(),
                                envelope.sequenceNr(),
                                (ScheduleEntity.Event) envelope.event(),
                                envelope.timestamp())),
                        server.node().system())
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        DataSourceJdbcSession session =
                new DataSourceJdbcSession(server.node().database().dataSource());
        try {
            new ScheduleIndexHandler(new ScheduleTable(server.node().database().dialect())).process(session, envelopes);
            session.commit();
        } finally {
            session.close();
        }
    }

    @Test
    void timezonesNeedNoKeyAndListUtcFirst() throws Exception {
        JsonNode all = json(server.get("/api/v1/timezones", null));
        assertEquals("UTC", all.get("timezones").get(0).asText());
        List<String> zones = new ArrayList<>();
        all.get("timezones").forEach(zone -> zones.add(zone.asText()));
        assertTrue(zones.contains("Europe/Berlin") && zones.contains("America/New_York"));
        assertFalse(zones.contains("US/Eastern") || zones.contains("Etc/GMT+5"));
        JsonNode withoutUtc = json(server.get("/api/v1/timezones?excludeUtc=true", null));
        assertNotEquals("UTC", withoutUtc.get("timezones").get(0).asText());
        assertEquals(zones.size() - 1, withoutUtc.get("timezones").size());
    }

    @Test
    void createReturnsTheScheduleObjectAndTheSameKeyUpserts() throws Exception {
        JsonNode created = create("""
        {"task":"report","cron":"0 9 * * 1-5","deduplicationKey":"weekday-report","externalId":"user-1",
         "timezone":"Europe/Berlin"}""");
        String id = created.get("id").asText();
        assertTrue(id.startsWith("sched_"), id);
        assertEquals("IMPERATIVE", created.get("type").asText());
        assertEquals("report", created.get("task").asText());
        assertTrue(created.get("active").asBoolean());
        assertEquals("weekday-report", created.get("deduplicationKey").asText());
        assertEquals("user-1", created.get("externalId").asText());
        assertEquals("CRON", created.get("generator").get("type").asText());
        assertEquals("0 9 * * 1-5", created.get("generator").get("expression").asText());
        assertEquals(
                "At 09:00, on Monday through Friday",
                created.get("generator").get("description").asText());
        assertEquals("Europe/Berlin", created.get("timezone").asText());
        Instant nextRun = Instant.parse(created.get("nextRun").asText());
        assertTrue(nextRun.isAfter(Instant.now()));
        assertFalse(created.has("window") || created.has("nextRunEffectiveAt"));
        JsonNode upcoming = created.get("upcoming");
        assertEquals(5, upcoming.size(), "the next five cron times: " + upcoming);
        assertEquals(nextRun, Instant.parse(upcoming.get(0).asText()));
        for (int i = 1; i < upcoming.size(); i++) {
            Instant later = Instant.parse(upcoming.get(i).asText());
            assertTrue(later.isAfter(Instant.parse(upcoming.get(i - 1).asText())), upcoming.toString());
            assertEquals(9, later.atZone(java.time.ZoneId.of("Europe/Berlin")).getHour(), "at 09:00 in Berlin");
        }
        JsonNode environments = created.get("environments");
        assertEquals(1, environments.size());
        assertEquals(environment.id(), environments.get(0).get("id").asText());
        assertEquals("DEVELOPMENT", environments.get(0).get("type").asText());

        JsonNode upserted = create("""
        {"task":"report","cron":"30 8 * * *","deduplicationKey":"weekday-report","window":"15m"}""");
        assertEquals(id, upserted.get("id").asText());
        assertEquals("30 8 * * *", upserted.get("generator").get("expression").asText());
        assertEquals("UTC", upserted.get("timezone").asText(), "an upsert replaces the whole definition");
        assertFalse(upserted.has("externalId"));
        assertEquals("15m", upserted.get("window").asText());
        Instant nominal = Instant.parse(upserted.get("nextRun").asText());
        Instant effective = Instant.parse(upserted.get("nextRunEffectiveAt").asText());
        assertTrue(
                !effective.isBefore(nominal) && effective.isBefore(nominal.plusSeconds(15 * 60)), effective.toString());

        assertEquals(upserted, json(server.get(SCHEDULES + "/" + id, KEY)));
    }

    @Test
    void updateReplacesActivateAndDeactivateToggleDeleteRemoves() throws Exception {
        String id = create("""
        {"task":"report","cron":"0 * * * *","deduplicationKey":"lifecycle",
         "timezone":"Asia/Tokyo"}""").get("id").asText();
        JsonNode updated = json(server.put(
                SCHEDULES + "/" + id, KEY, "{\"task\":\"report\",\"cron\":\"*/5 * * * *\",\"externalId\":\"ext\"}"));
        assertEquals("*/5 * * * *", updated.get("generator").get("expression").asText());
        assertEquals(
                "Every 5 minutes", updated.get("generator").get("description").asText());
        assertEquals("UTC", updated.get("timezone").asText());
        assertEquals("lifecycle", updated.get("deduplicationKey").asText(), "the key stays");

        JsonNode inactive = json(server.postEmpty(SCHEDULES + "/" + id + "/deactivate", KEY));
        assertFalse(inactive.get("active").asBoolean());
        assertFalse(inactive.has("nextRun") || inactive.has("upcoming"));
        JsonNode active = json(server.postEmpty(SCHEDULES + "/" + id + "/activate", KEY));
        assertTrue(active.get("active").asBoolean());
        assertTrue(active.has("nextRun"));

        HttpResponse<String> deleted =
                server.send("DELETE", SCHEDULES + "/" + id, Map.of("Authorization", "Bearer " + KEY), null);
        assertEquals(200, deleted.statusCode(), deleted.body());
        assertEquals("{\"id\":\"" + id + "\"}", deleted.body());
        assertError(server.get(SCHEDULES + "/" + id, KEY), 404, "Schedule not found");
        assertError(
                server.send("DELETE", SCHEDULES + "/" + id, Map.of("Authorization", "Bearer " + KEY), null),
                404,
                "Schedule not found");
        // The key now creates a new schedule.
        assertNotEquals(
                id,
                create("{\"task\":\"report\",\"cron\":\"0 * * * *\",\"deduplicationKey\":\"lifecycle\"}")
                        .get("id")
                        .asText());
    }

    @Test
    void aDeclarativeScheduleIsListedAndRetrievedButNotChangedThroughTheApi() throws Exception {
        server.node()
                .engine()
                .schedules()
                .declare(
                        environment.id(),
                        Map.of(
                                "report",
                                new ScheduleSpec(
                                        "report", "15 * * * *", "UTC", null, null, null, ScheduleSpec.DECLARATIVE)))
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        String id = server.node()
                .engine()
                .schedules()
                .declared(environment.id())
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS)
                .get("report");
        assertEquals(
                "DECLARATIVE",
                json(server.get(SCHEDULES + "/" + id, KEY)).get("type").asText());
        projectSchedules();
        boolean listed = false;
        for (JsonNode schedule :
                json(server.get(SCHEDULES + "?perPage=100", KEY)).get("data")) {
            if (schedule.get("id").asText().equals(id)) {
                listed = true;
                assertEquals("DECLARATIVE", schedule.get("type").asText());
            }
        }
        assertTrue(listed);

        assertError(
                server.put(SCHEDULES + "/" + id, KEY, "{\"task\":\"report\",\"cron\":\"0 * * * *\"}"),
                422,
                "Cannot update a declarative schedule");
        assertError(
                server.send("DELETE", SCHEDULES + "/" + id, Map.of("Authorization", "Bearer " + KEY), null),
                422,
                "Cannot delete declarative schedules");
        assertError(
                server.postEmpty(SCHEDULES + "/" + id + "/deactivate", KEY),
                422,
                "Cannot enable/disable declarative schedules");
        // another environment's key still finds nothing there
        assertError(
                server.put(SCHEDULES + "/" + id, OTHER_KEY, "{\"task\":\"report\",\"cron\":\"0 * * * *\"}"), 404, null);
        JsonNode unchanged = json(server.get(SCHEDULES + "/" + id, KEY));
        assertEquals("15 * * * *", unchanged.get("generator").get("expression").asText());
        assertTrue(unchanged.get("active").asBoolean());
    }

    @Test
    void anotherEnvironmentsScheduleAndUnknownIdsAre404() throws Exception {
        String id = create("{\"task\":\"report\",\"cron\":\"0 * * * *\",\"deduplicationKey\":\"mine\"}")
                .get("id")
                .asText();
        assertError(server.get(SCHEDULES + "/" + id, OTHER_KEY), 404, "Schedule not found");
        assertError(
                server.put(SCHEDULES + "/" + id, OTHER_KEY, "{\"task\":\"report\",\"cron\":\"0 * * * *\"}"),
                404,
                "Schedule not found");
        assertError(server.postEmpty(SCHEDULES + "/" + id + "/deactivate", OTHER_KEY), 404, "Schedule not found");
        assertError(
                server.send("DELETE", SCHEDULES + "/" + id, Map.of("Authorization", "Bearer " + OTHER_KEY), null),
                404,
                "Schedule not found");
        assertError(server.get(SCHEDULES + "/sched_doesnotexist0000", KEY), 404, "Schedule not found");
        assertError(server.get(SCHEDULES + "/not-a-schedule", KEY), 404, "Schedule not found");
        // The same key in another environment is another schedule.
        HttpResponse<String> elsewhere = server.post(
                SCHEDULES, OTHER_KEY, "{\"task\":\"report\",\"cron\":\"0 * * * *\",\"deduplicationKey\":\"mine\"}");
        assertNotEquals(id, json(elsewhere).get("id").asText());
        assertEquals(
                "PRODUCTION",
                json(elsewhere).get("environments").get(0).get("type").asText());
    }

    @Test
    void theListPagesTheEnvironmentsSchedules() throws Exception {
        server.environment("listing", "dev", "tr_dev_schedule_list");
        server.declareTask(server.environment("listing", "dev", "tr_dev_schedule_list"), "report");
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> response = server.post(
                    SCHEDULES,
                    "tr_dev_schedule_list",
                    "{\"task\":\"report\",\"cron\":\"" + i + " * * * *\",\"deduplicationKey\":\"list-" + i + "\"}");
            ids.add(json(response).get("id").asText());
        }
        projectSchedules();
        JsonNode first = json(server.get(SCHEDULES + "?perPage=2", "tr_dev_schedule_list"));
        assertEquals(2, first.get("data").size());
        assertEquals(1, first.get("pagination").get("currentPage").asInt());
        assertEquals(2, first.get("pagination").get("totalPages").asInt());
        assertEquals(3, first.get("pagination").get("count").asInt());
        assertEquals(ids.get(2), first.get("data").get(0).get("id").asText(), "newest first");
        JsonNode second = json(server.get(SCHEDULES + "?page=2&perPage=2", "tr_dev_schedule_list"));
        assertEquals(1, second.get("data").size());
        assertEquals(ids.get(0), second.get("data").get(0).get("id").asText());
        JsonNode listed = second.get("data").get(0);
        assertEquals("0 * * * *", listed.get("generator").get("expression").asText());
        assertEquals("list-0", listed.get("deduplicationKey").asText());
        assertTrue(listed.has("nextRun") && listed.get("environments").size() == 1);

        assertError(
                server.get(SCHEDULES + "?perPage=0", KEY),
                400,
                "Invalid request parameters: perPage must be a positive integer");
        assertError(
                server.get(SCHEDULES + "?perPage=101", KEY),
                400,
                "Invalid request parameters: perPage must be at most 100");
        assertError(
                server.get(SCHEDULES + "?page=x", KEY),
                400,
                "Invalid request parameters: page must be a positive integer");
    }

    @Test
    void malformedBodiesAre400() throws Exception {
        assertError(
                server.post(SCHEDULES, KEY, "{\"cron\":\"0 * * * *\",\"deduplicationKey\":\"k\"}"),
                400,
                "Invalid request body: task is required");
        assertError(
                server.post(SCHEDULES, KEY, "{\"task\":\"report\",\"deduplicationKey\":\"k\"}"),
                400,
                "Invalid request body: cron is required");
        assertError(
                server.post(SCHEDULES, KEY, "{\"task\":\"report\",\"cron\":\"0 * * * *\"}"),
                400,
                "Invalid request body: deduplicationKey is required");
        assertError(
                server.post(SCHEDULES, KEY, "{\"task\":7,\"cron\":\"0 * * * *\",\"deduplicationKey\":\"k\"}"),
                400,
                "Invalid request body: task must be a string");
        assertError(
                server.post(
                        SCHEDULES,
                        KEY,
                        "{\"task\":\"report\",\"cron\":\"0 * * * *\",\"deduplicationKey\":\"k\",\"window\":\"90s\"}"),
                400,
                "Invalid request body: window: Schedule window must be a whole duration such as \"30m\" or \"2h\", "
                        + "or a percentage such as \"30%\"");
        assertError(
                server.post(
                        SCHEDULES,
                        KEY,
                        "{\"task\":\"report\",\"cron\":\"0 * * * *\",\"deduplicationKey\":\"k\",\"window\":\"25h\"}"),
                400,
                "Invalid request body: window: Schedule window duration cannot exceed 24 hours");
        assertError(server.post(SCHEDULES, KEY, "[1]"), 400, "Invalid request body: expected a JSON object");
        assertEquals(400, server.post(SCHEDULES, KEY, "{oops").statusCode());
        assertError(
                server.put(SCHEDULES + "/sched_x", KEY, "{\"task\":\"report\"}"),
                400,
                "Invalid request body: cron is required");
    }

    @Test
    void unusableValuesAre422() throws Exception {
        assertError(
                server.post(SCHEDULES, KEY, "{\"task\":\"report\",\"cron\":\"61 * * * *\",\"deduplicationKey\":\"k\"}"),
                422,
                "Invalid cron expression: minute value 61 is out of range 0-59");
        assertError(
                server.post(SCHEDULES, KEY, "{\"task\":\"report\",\"cron\":\"0 * * *\",\"deduplicationKey\":\"k\"}"),
                422,
                "Invalid cron expression: expected 5 fields (minute hour day-of-month month day-of-week), got 4");
        assertError(
                server.post(SCHEDULES, KEY, "{\"task\":\"report\",\"cron\":\"0 0 30 2 *\",\"deduplicationKey\":\"k\"}"),
                422,
                "Invalid cron expression: it never matches a date");
        assertError(
                server.post(
                        SCHEDULES,
                        KEY,
                        "{\"task\":\"report\",\"cron\":\"0 * * * *\",\"deduplicationKey"
                                + "\":\"k\",\"timezone\":\"Mars/Olympus\"}"),
                422,
                "Invalid IANA timezone: Mars/Olympus. View the list of valid timezones at GET /api/v1/timezones");
        assertError(
                server.post(
                        SCHEDULES,
                        KEY,
                        "{\"task\":\"never-declared\",\"cron\":\"0 * * * *\",\"deduplicationKey\":\"k\"}"),
                422,
                "Task with identifier never-declared not found in project.");
        assertError(
                server.post(SCHEDULES, KEY, "{\"task\":\" bad id\",\"cron\":\"0 * * * *\",\"deduplicationKey\":\"k\"}"),
                422,
                "Task with identifier  bad id not found in project.");
    }

    @Test
    void everyScheduleCallButTimezonesNeedsAKey() throws Exception {
        assertError(server.post(SCHEDULES, null, "{}"), 401, "Invalid or Missing API key");
        assertError(server.get(SCHEDULES, "tr_dev_wrong"), 401, "Invalid or Missing API key");
        assertError(server.get(SCHEDULES + "/sched_x", null), 401, "Invalid or Missing API key");
        assertError(server.postEmpty(SCHEDULES + "/sched_x/activate", null), 401, "Invalid or Missing API key");
    }
}
