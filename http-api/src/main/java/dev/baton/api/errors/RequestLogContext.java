package dev.baton.api.errors;

import akka.http.javadsl.model.HttpRequest;
import dev.baton.engine.trace.TraceContext;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.MDC;

/**
 * The MDC of a failed request's log lines ({@code BATON_LOG_FORMAT=json} prints it): the run the path names and the
 * trace of the request's {@code traceparent}, so an operator can go from a 500 to the run and its trace. Set only
 * around the synchronous logging of an error, and removed after.
 */
final class RequestLogContext implements AutoCloseable {

    static final String RUN_ID = "runId";
    static final String TRACE_ID = "traceId";
    static final String REQUEST = "request";

    private static final Pattern RUN_IN_PATH = Pattern.compile("/runs/(run_[0-9a-z]{1,64})");

    private final List<MDC.MDCCloseable> entries = new ArrayList<>();

    private RequestLogContext() {}

    static RequestLogContext of(HttpRequest request) {
        RequestLogContext context = new RequestLogContext();
        String path = request.getUri().path();
        context.put(REQUEST, request.method().value() + " " + path);
        Matcher run = RUN_IN_PATH.matcher(path);
        if (run.find()) context.put(RUN_ID, run.group(1));
        request.getHeader("traceparent")
                .flatMap(header -> TraceContext.fromTraceparent(header.value()))
                .ifPresent(trace -> context.put(TRACE_ID, trace.traceId()));
        return context;
    }

    private void put(String key, String value) {
        entries.add(MDC.putCloseable(key, value));
    }

    @Override
    public void close() {
        entries.forEach(MDC.MDCCloseable::close);
    }
}
