package dev.baton.api.otel;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.baton.api.errors.ApiException;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import java.util.List;

/**
 * An OTLP metrics export ({@code POST /otel/v1/metrics}), which Baton does not store: the trigger.dev CLI's task
 * processes export their host and runtime metrics there whatever the server does with them. Counting the export's
 * data points lets the receiver answer as OTLP asks of a server that keeps none of them (a partial success rejecting
 * every point, with the reason), instead of a 404 the exporter would log as a failure and retry.
 */
final class OtlpMetrics {

    static final String NOT_KEPT = "Baton keeps no task metrics: the data points were received and dropped";

    /** The metric kinds, each holding its {@code dataPoints} (OTLP/JSON field names). */
    private static final List<String> KINDS = List.of("gauge", "sum", "histogram", "exponentialHistogram", "summary");

    private OtlpMetrics() {}

    static OtlpRejections fromProtobuf(byte[] body) {
        ExportMetricsServiceRequest request;
        try {
            request = ExportMetricsServiceRequest.parseFrom(body);
        } catch (InvalidProtocolBufferException e) {
            throw ApiException.badRequest("Invalid OTLP protobuf: " + e.getMessage());
        }
        long points = 0;
        for (ResourceMetrics resource : request.getResourceMetricsList()) {
            for (ScopeMetrics scope : resource.getScopeMetricsList()) {
                for (Metric metric : scope.getMetricsList()) points += dataPoints(metric);
            }
        }
        return rejected(points);
    }

    static OtlpRejections fromJson(JsonNode body) {
        if (!body.isObject()) throw ApiException.badRequest("Invalid OTLP JSON: the body must be an object");
        long points = 0;
        for (JsonNode resource : body.path("resourceMetrics")) {
            for (JsonNode scope : resource.path("scopeMetrics")) {
                for (JsonNode metric : scope.path("metrics")) {
                    for (String kind : KINDS)
                        points += metric.path(kind).path("dataPoints").size();
                }
            }
        }
        return rejected(points);
    }

    private static long dataPoints(Metric metric) {
        return switch (metric.getDataCase()) {
            case GAUGE -> metric.getGauge().getDataPointsCount();
            case SUM -> metric.getSum().getDataPointsCount();
            case HISTOGRAM -> metric.getHistogram().getDataPointsCount();
            case EXPONENTIAL_HISTOGRAM -> metric.getExponentialHistogram().getDataPointsCount();
            case SUMMARY -> metric.getSummary().getDataPointsCount();
            case DATA_NOT_SET -> 0;
        };
    }

    private static OtlpRejections rejected(long points) {
        OtlpRejections rejections = new OtlpRejections();
        rejections.reject(points, NOT_KEPT);
        return rejections;
    }
}
