package dev.baton.node;

import static akka.http.javadsl.server.Directives.complete;
import static akka.http.javadsl.server.Directives.path;

import akka.actor.AbstractExtensionId;
import akka.actor.ExtendedActorSystem;
import akka.actor.ExtensionIdProvider;
import akka.actor.typed.javadsl.Adapter;
import akka.http.javadsl.model.ContentType;
import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpEntities;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.MediaTypes;
import akka.http.javadsl.server.Directives;
import akka.http.javadsl.server.Route;
import akka.management.javadsl.ManagementRouteProvider;
import akka.management.javadsl.ManagementRouteProviderSettings;
import dev.baton.engine.metrics.BatonMetrics;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * {@code GET /metrics} on Akka Management's port (docs/operations.md "Metrics"): the node's meters
 * ({@link BatonMetrics}) and the JVM's, in Prometheus' text format. Akka Management creates it from
 * {@code akka.management.http.routes} when it starts; only then does the node keep a Prometheus registry.
 */
public final class NodeMetrics extends AbstractExtensionId<NodeMetrics.Routes> implements ExtensionIdProvider {

    public static final NodeMetrics INSTANCE = new NodeMetrics();

    private static final ContentType.WithFixedCharset PROMETHEUS_TEXT =
            ContentTypes.create(MediaTypes.customWithFixedCharset(
                    "text",
                    "plain",
                    akka.http.javadsl.model.HttpCharsets.UTF_8,
                    java.util.Map.of("version", "0.0.4"),
                    true));

    /** Akka Management instantiates this class by name, then looks the extension up through {@link #lookup}. */
    public NodeMetrics() {}

    @Override
    public NodeMetrics lookup() {
        return INSTANCE;
    }

    @Override
    public Routes createExtension(ExtendedActorSystem system) {
        PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(prometheus);
        new JvmThreadMetrics().bindTo(prometheus);
        new ClassLoaderMetrics().bindTo(prometheus);
        new ProcessorMetrics().bindTo(prometheus);
        new UptimeMetrics().bindTo(prometheus);
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(prometheus);
        system.registerOnTermination(gc::close);
        BatonMetrics.get(Adapter.toTyped(system)).registry().add(prometheus);
        return new Routes(prometheus);
    }

    public static final class Routes implements ManagementRouteProvider {

        private final PrometheusMeterRegistry prometheus;

        Routes(PrometheusMeterRegistry prometheus) {
            this.prometheus = prometheus;
        }

        @Override
        public Route routes(ManagementRouteProviderSettings settings) {
            return path(
                    "metrics",
                    () -> Directives.get(() -> complete(HttpResponse.create()
                            .withEntity(HttpEntities.create(PROMETHEUS_TEXT, prometheus.scrape())))));
        }
    }
}
