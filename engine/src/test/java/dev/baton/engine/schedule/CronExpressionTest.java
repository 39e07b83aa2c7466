package dev.baton.engine.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class CronExpressionTest {

    private static final ZoneId UTC = ZoneOffset.UTC;
    private static final ZoneId NEW_YORK = ZoneId.of("America/New_York");
    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    private static List<Instant> next(String cron, String after, ZoneId zone, int count) {
        return CronExpression.parse(cron).next(Instant.parse(after), zone, count);
    }

    private static List<Instant> instants(String... times) {
        return java.util.Arrays.stream(times).map(Instant::parse).toList();
    }

    @Test
    void everyMinuteIsStrictlyAfterTheGivenInstant() {
        assertEquals(
                instants("2026-03-01T10:01:00Z", "2026-03-01T10:02:00Z"),
                next("* * * * *", "2026-03-01T10:00:00Z", UTC, 2));
        assertEquals(instants("2026-03-01T10:01:00Z"), next("* * * * *", "2026-03-01T10:00:59.999Z", UTC, 1));
    }

    @Test
    void rangesStepsAndLists() {
        assertEquals(
                instants(
                        "2026-03-02T09:00:00Z",
                        "2026-03-02T09:15:00Z",
                        "2026-03-02T09:30:00Z",
                        "2026-03-02T09:45:00Z",
                        "2026-03-02T10:00:00Z"),
                next("*/15 9-17 * * *", "2026-03-02T08:59:00Z", UTC, 5));
        assertEquals(
                instants("2026-03-02T10:05:00Z", "2026-03-02T10:25:00Z", "2026-03-02T10:45:00Z"),
                next("5/20 10 * * *", "2026-03-02T10:00:00Z", UTC, 3));
        assertEquals(
                instants(
                        "2026-03-02T08:00:00Z", "2026-03-02T12:00:00Z", "2026-03-02T18:00:00Z", "2026-03-03T08:00:00Z"),
                next("0 8,12,18 * * *", "2026-03-02T00:00:00Z", UTC, 4));
        assertEquals(
                instants("2026-03-02T10:10:00Z", "2026-03-02T10:12:00Z", "2026-03-02T10:14:00Z"),
                next("10-14/2 * * * *", "2026-03-02T10:00:00Z", UTC, 3));
    }

    @Test
    void weekdaysMonthsAndNames() {
        // 2026-03-06 is a Friday: Monday to Friday at 09:30 skips the weekend.
        assertEquals(
                instants("2026-03-06T09:30:00Z", "2026-03-09T09:30:00Z"),
                next("30 9 * * 1-5", "2026-03-06T00:00:00Z", UTC, 2));
        assertEquals(
                next("30 9 * * 1-5", "2026-03-06T00:00:00Z", UTC, 5),
                next("30 9 * * MON-FRI", "2026-03-06T00:00:00Z", UTC, 5));
        // Sunday is 0 and 7.
        assertEquals(
                next("0 0 * * 0", "2026-03-01T12:00:00Z", UTC, 3), next("0 0 * * 7", "2026-03-01T12:00:00Z", UTC, 3));
        assertEquals(instants("2026-03-08T00:00:00Z"), next("0 0 * * sun", "2026-03-01T12:00:00Z", UTC, 1));
        assertEquals(
                instants("2026-07-01T00:00:00Z", "2026-12-01T00:00:00Z", "2027-07-01T00:00:00Z"),
                next("0 0 1 JUL,DEC *", "2026-03-01T00:00:00Z", UTC, 3));
    }

    @Test
    void dayOfMonthAndDayOfWeekBothRestrictedMatchEither() {
        // The 13th, or any Friday (Vixie cron): March 2026 has Fridays on the 6th, 13th, 20th.
        assertEquals(
                instants("2026-03-06T00:00:00Z", "2026-03-13T00:00:00Z", "2026-03-20T00:00:00Z"),
                next("0 0 13 * 5", "2026-03-01T00:00:00Z", UTC, 3));
        // A day-of-month step starts with *: it then combines with the weekday as AND.
        assertEquals(
                instants("2026-03-03T00:00:00Z", "2026-03-05T00:00:00Z", "2026-03-17T00:00:00Z"),
                next("0 0 */2 * 2,4", "2026-03-01T00:00:00Z", UTC, 3));
    }

    @Test
    void lastDayOfTheMonthAndLastWeekday() {
        assertEquals(
                instants(
                        "2026-01-31T23:00:00Z", "2026-02-28T23:00:00Z", "2026-03-31T23:00:00Z", "2026-04-30T23:00:00Z"),
                next("0 23 L * *", "2026-01-01T00:00:00Z", UTC, 4));
        assertEquals(instants("2028-02-29T00:00:00Z"), next("0 0 L 2 *", "2028-01-01T00:00:00Z", UTC, 1));
        // The last Friday of each month (5L); the last Sunday as 0L and 7L.
        assertEquals(
                instants("2026-01-30T12:00:00Z", "2026-02-27T12:00:00Z", "2026-03-27T12:00:00Z"),
                next("0 12 * * 5L", "2026-01-01T00:00:00Z", UTC, 3));
        assertEquals(
                instants("2026-03-29T00:00:00Z", "2026-04-26T00:00:00Z"),
                next("0 0 * * 7L", "2026-03-01T00:00:00Z", UTC, 2));
        assertEquals(
                next("0 0 * * 7L", "2026-03-01T00:00:00Z", UTC, 2), next("0 0 * * 0L", "2026-03-01T00:00:00Z", UTC, 2));
        // L combined with other days of the month.
        assertEquals(
                instants("2026-04-15T00:00:00Z", "2026-04-30T00:00:00Z", "2026-05-15T00:00:00Z"),
                next("0 0 15,L * *", "2026-04-01T00:00:00Z", UTC, 3));
    }

    @Test
    void timezonesShiftTheLocalTimeToUtc() {
        // 09:00 in New York is 14:00 UTC in winter (EST) and 13:00 UTC in summer (EDT).
        assertEquals(instants("2026-01-05T14:00:00Z"), next("0 9 * * *", "2026-01-05T00:00:00Z", NEW_YORK, 1));
        assertEquals(instants("2026-07-06T13:00:00Z"), next("0 9 * * *", "2026-07-06T00:00:00Z", NEW_YORK, 1));
        assertEquals(instants("2026-01-05T08:00:00Z"), next("0 9 * * *", "2026-01-05T00:00:00Z", BERLIN, 1));
    }

    @Test
    void dailyRunKeepsItsLocalTimeAcrossDaylightSavingTime() {
        // New York springs forward on 2026-03-08 and falls back on 2026-11-01.
        assertEquals(
                instants("2026-03-07T14:00:00Z", "2026-03-08T13:00:00Z", "2026-03-09T13:00:00Z"),
                next("0 9 * * *", "2026-03-07T00:00:00Z", NEW_YORK, 3));
        assertEquals(
                instants("2026-10-31T13:00:00Z", "2026-11-01T14:00:00Z", "2026-11-02T14:00:00Z"),
                next("0 9 * * *", "2026-10-31T00:00:00Z", NEW_YORK, 3));
    }

    @Test
    void aLocalTimeSkippedBySpringForwardFiresOnceWhenTheGapEnds() {
        // 02:30 does not exist on 2026-03-08 in New York: it runs at 03:00 EDT (07:00 UTC), then normally.
        assertEquals(
                instants("2026-03-07T07:30:00Z", "2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z"),
                next("30 2 * * *", "2026-03-07T00:00:00Z", NEW_YORK, 3));
        // Every 15 minutes: 02:00-02:45 collapse into one run at 03:00, no duplicate.
        assertEquals(
                instants("2026-03-08T06:45:00Z", "2026-03-08T07:00:00Z", "2026-03-08T07:15:00Z"),
                next("*/15 * * * *", "2026-03-08T06:30:00Z", NEW_YORK, 3));
    }

    @Test
    void aLocalTimeRepeatedByFallBackFiresOnceAtItsFirstOccurrence() {
        // 01:30 happens twice on 2026-11-01 in New York (EDT, then EST): only the first runs.
        assertEquals(
                instants("2026-10-31T05:30:00Z", "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"),
                next("30 1 * * *", "2026-10-31T00:00:00Z", NEW_YORK, 3));
        // Hourly: 01:00 EDT, then 02:00 EST; the repeated 01:00 EST does not run.
        assertEquals(
                instants("2026-11-01T05:00:00Z", "2026-11-01T07:00:00Z", "2026-11-01T08:00:00Z"),
                next("0 * * * *", "2026-11-01T04:30:00Z", NEW_YORK, 3));
        // Starting inside the repeated hour moves on to the next new local time.
        assertEquals(instants("2026-11-01T07:00:00Z"), next("*/15 * * * *", "2026-11-01T06:10:00Z", NEW_YORK, 1));
    }

    @Test
    void anExpressionThatNeverMatchesHasNoNextTime() {
        assertTrue(CronExpression.parse("0 0 30 2 *")
                .next(Instant.parse("2026-01-01T00:00:00Z"), UTC)
                .isEmpty());
        assertEquals(List.of(), next("0 0 31 4 *", "2026-01-01T00:00:00Z", UTC, 5));
    }

    @Test
    void malformedExpressionsAreRefusedWithAReason() {
        assertMessage("expected 5 fields (minute hour day-of-month month day-of-week), got 4", "* * * *");
        assertMessage("expected 5 fields (minute hour day-of-month month day-of-week), got 6", "0 * * * * *");
        assertMessage("the expression is empty", " ");
        assertMessage("minute value 60 is out of range 0-59", "60 * * * *");
        assertMessage("hour value 24 is out of range 0-23", "0 24 * * *");
        assertMessage("day of month value 0 is out of range 1-31", "0 0 0 * *");
        assertMessage("month value 13 is out of range 1-12", "0 0 * 13 *");
        assertMessage("day of week value 8 is out of range 0-7", "0 0 * * 8");
        assertMessage("invalid minute range '10-5': start after end", "10-5 * * * *");
        assertMessage("the minute step must be at least 1", "*/0 * * * *");
        assertMessage("invalid minute value 'X'", "x * * * *");
        assertMessage("empty value in the hour field", "0 1,,2 * * *");
        assertMessage("day of week value 9 is out of range 0-7", "0 0 * * 9L");
    }

    @Test
    void descriptions() {
        assertEquals("Every minute", CronExpression.parse("* * * * *").description());
        assertEquals("Every 5 minutes", CronExpression.parse("*/5 * * * *").description());
        assertEquals("Every hour", CronExpression.parse("0 * * * *").description());
        assertEquals(
                "At 09:30, on Monday through Friday",
                CronExpression.parse("30 9 * * 1-5").description());
        assertEquals(
                "At 00:00, on the last day of the month",
                CronExpression.parse("0 0 L * *").description());
        assertEquals(
                "At 12:00, on the last Friday of the month",
                CronExpression.parse("0 12 * * 5L").description());
        assertEquals(
                "At 08:00, 12:00 and 18:00",
                CronExpression.parse("0 8,12,18 * * *").description());
    }

    private static void assertMessage(String expected, String cron) {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> CronExpression.parse(cron));
        assertEquals(expected, error.getMessage());
    }
}
