package dev.baton.api.errors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import akka.http.javadsl.model.HttpMethods;
import akka.http.javadsl.model.HttpRequest;
import akka.http.javadsl.model.headers.RawHeader;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

class RequestLogContextTest {

    @Test
    void aFailedRequestsLinesNameItsRunAndTraceUntilClosed() {
        HttpRequest request = HttpRequest.create("/api/v2/runs/run_7k2m9x/cancel")
                .withMethod(HttpMethods.POST)
                .addHeader(RawHeader.create("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));

        try (var context = RequestLogContext.of(request)) {
            assertEquals("run_7k2m9x", MDC.get(RequestLogContext.RUN_ID));
            assertEquals("4bf92f3577b34da6a3ce929d0e0e4736", MDC.get(RequestLogContext.TRACE_ID));
            assertEquals("POST /api/v2/runs/run_7k2m9x/cancel", MDC.get(RequestLogContext.REQUEST));
        }
        assertNull(MDC.get(RequestLogContext.RUN_ID));
        assertNull(MDC.get(RequestLogContext.TRACE_ID));
        assertNull(MDC.get(RequestLogContext.REQUEST));
    }

    @Test
    void aRequestWithoutRunOrTraceNamesOnlyItself() {
        try (var context = RequestLogContext.of(HttpRequest.create("/api/v1/queues"))) {
            assertNull(MDC.get(RequestLogContext.RUN_ID));
            assertNull(MDC.get(RequestLogContext.TRACE_ID));
            assertEquals("GET /api/v1/queues", MDC.get(RequestLogContext.REQUEST));
        }
    }
}
