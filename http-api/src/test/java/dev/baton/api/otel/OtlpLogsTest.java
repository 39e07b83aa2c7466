package dev.baton.api.otel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.api.errors.ApiException;
import dev.baton.api.otel.OtlpLogs.ReportedLog;
import dev.baton.engine.logs.LogLevel;
import dev.baton.engine.run.RunState.Attempt;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How an OTLP log export is read into lines, and which of a run's attempts a record means. */
class OtlpLogsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant RECEIVED = Instant.parse("2026-12-06T12:00:00Z");

    @Test
    void severityNumbersMapInOtlpsBandsAndTextStandsInForNone() {
        assertEquals(LogLevel.TRACE, OtlpLogs.level(1, ""));
        assertEquals(LogLevel.TRACE, OtlpLogs.level(4, ""));
        assertEquals(LogLevel.DEBUG, OtlpLogs.level(5, "error"), "the number wins over the text");
        assertEquals(LogLevel.INFO, OtlpLogs.level(12, ""));
        assertEquals(LogLevel.WARN, OtlpLogs.level(13, ""));
        assertEquals(LogLevel.ERROR, OtlpLogs.level(17, ""));
        assertEquals(LogLevel.ERROR, OtlpLogs.level(24, ""), "FATAL is kept as ERROR");
        assertEquals(LogLevel.WARN, OtlpLogs.level(0, "Warning"));
        assertEquals(LogLevel.ERROR, OtlpLogs.level(0, "fatal"));
        assertEquals(LogLevel.INFO, OtlpLogs.level(0, "notice"));
        assertEquals(LogLevel.INFO, OtlpLogs.level(99, ""));
    }

    @Test
    void aJsonRecordBecomesALineWithoutItsContextAndWithItsError() throws Exception {
        OtlpLogs.Parsed parsed = OtlpLogs.fromJson(JSON.readTree("""
                {"resourceLogs":[{"resource":{"attributes":[{"key":"ctx.run.id","value":{"stringValue":"run_a"}}]},
                 "scopeLogs":[{"logRecords":[
                  {"observedTimeUnixNano":"1796551200500000000","severityNumber":"SEVERITY_NUMBER_ERROR",
                   "body":{"arrayValue":{"values":[{"intValue":"1"},{"boolValue":true}]}},
                   "attributes":[{"key":"ctx.attempt.id","value":{"stringValue":"att_1"}},
                    {"key":"$metadata.ctx.task.id","value":{"stringValue":"t"}},
                    {"key":"count","value":{"intValue":"42"}},
                    {"key":"exception.message","value":{"stringValue":"boom"}}]},
                  {"body":{"stringValue":"no time"},
                   "attributes":[{"key":"ctx.attempt.number","value":{"stringValue":"two"}}]}]}]}]}
                """), RECEIVED);
        assertEquals(1, parsed.logs().size());
        ReportedLog log = parsed.logs().get(0);
        assertEquals("run_a", log.runId(), "from the resource");
        assertEquals("att_1", log.attemptId());
        assertNull(log.attemptNumber());
        assertEquals(Instant.parse("2026-12-06T10:00:00.500Z"), log.timestamp(), "the observed time");
        assertEquals(LogLevel.ERROR, log.level(), "a severity written as its name");
        assertEquals("[1,true]", log.message());
        assertEquals("{\"count\":42}", log.attributesJson());
        assertEquals("{\"message\":\"boom\"}", log.errorJson());
        assertEquals(1, parsed.rejections().count());
        assertTrue(parsed.rejections().firstReason().contains("ctx.attempt.number"));
    }

    @Test
    void aRecordWithoutATimeIsDatedWhenReceivedAndOneWithoutARunIsRefused() throws Exception {
        OtlpLogs.Parsed parsed = OtlpLogs.fromJson(JSON.readTree("""
                {"resourceLogs":[{"scopeLogs":[{"logRecords":[
                  {"body":{"stringValue":"x"},"attributes":[{"key":"baton.run.id","value":{"stringValue":"run_b"}}]},
                  {"body":{"stringValue":"lost"}}]}]}]}
                """), RECEIVED);
        assertEquals(RECEIVED, parsed.logs().get(0).timestamp());
        assertNull(parsed.logs().get(0).attributesJson());
        assertEquals(1, parsed.rejections().count());
        assertThrows(ApiException.class, () -> OtlpLogs.fromJson(JSON.readTree("[]"), RECEIVED));
        assertThrows(ApiException.class, () -> OtlpLogs.fromProtobuf(new byte[] {(byte) 0xff}, RECEIVED));
    }

    @Test
    void aRecordMeansTheAttemptItNamesOrTheLatest() {
        Attempt first = attempt("att_1", 1);
        Attempt second = attempt("att_2", 2);
        Attempt resumed = attempt("att_2b", 2); // the same execution after a wait
        List<Attempt> attempts = List.of(first, second, resumed);
        assertEquals(resumed, OtlpLogRuns.attemptOf(record(null, null), attempts));
        assertEquals(first, OtlpLogRuns.attemptOf(record(null, 1), attempts));
        assertEquals(resumed, OtlpLogRuns.attemptOf(record(null, 2), attempts));
        assertEquals(second, OtlpLogRuns.attemptOf(record("att_2", null), attempts));
        assertEquals(second, OtlpLogRuns.attemptOf(record("att_2", 2), attempts));
        assertNull(OtlpLogRuns.attemptOf(record("att_2", 1), attempts), "an id and a number that disagree");
        assertNull(OtlpLogRuns.attemptOf(record(null, 3), attempts));
        assertNull(OtlpLogRuns.attemptOf(record("att_x", null), attempts));
        assertNull(OtlpLogRuns.attemptOf(record(null, null), List.of()), "a run that has not started an attempt");
    }

    private static Attempt attempt(String id, int number) {
        return new Attempt(id, number, "ws_1", "worker-1", RECEIVED, RECEIVED);
    }

    private static ReportedLog record(String attemptId, Integer attemptNumber) {
        return new ReportedLog("run_a", attemptId, attemptNumber, RECEIVED, LogLevel.INFO, "m", null, null);
    }
}
