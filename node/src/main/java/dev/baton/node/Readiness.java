package dev.baton.node;

import akka.actor.CoordinatedShutdown;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.Extension;
import akka.actor.typed.ExtensionId;
import akka.cluster.MemberStatus;
import akka.cluster.typed.Cluster;
import dev.baton.engine.storage.Database;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * Whether this node should get traffic (docs/operations.md "Health"): it is an Up cluster member that reaches the
 * majority of the cluster, not shutting down, and its journal, its read model and (when on) ClickHouse answer within
 * {@code timeout}. The API port's {@code /ready} and Akka Management's {@code /ready} ({@link ReadinessCheck}) both
 * ask this.
 */
final class Readiness {

    private final ActorSystem<?> system;
    private final Database database;
    private final Optional<URI> clickHousePing;
    private final Duration timeout;
    private final Executor blockingIo;
    private final HttpClient http;
    private final MajorityGuard majority;

    Readiness(ActorSystem<?> system, Database database, Optional<String> clickHouseUrl, Duration timeout) {
        this.system = system;
        this.database = database;
        this.clickHousePing = clickHouseUrl.map(url -> URI.create(url.replaceAll("/+$", "") + "/ping"));
        this.timeout = timeout;
        this.blockingIo = system.dispatchers().lookup(DispatcherSelector.blocking());
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
        this.majority = new MajorityGuard(system);
    }

    /** What keeps the node from being ready, each with its reason; empty when it is ready. */
    CompletionStage<List<String>> failing() {
        List<String> failing = new ArrayList<>();
        if (CoordinatedShutdown.get(system).getShutdownReason().isPresent()) failing.add("shutting down");
        MemberStatus status = Cluster.get(system).selfMember().status();
        if (status != MemberStatus.up()) failing.add("cluster member is " + status + ", not Up");
        majority.cutOff().ifPresent(failing::add);
        CompletableFuture<Optional<String>> journal = answers("journal", "SELECT 1 FROM \"event_journal\" WHERE 1 = 0");
        CompletableFuture<Optional<String>> readModel = answers("read model", "SELECT 1 FROM baton_runs WHERE 1 = 0");
        CompletableFuture<Optional<String>> clickHouse =
                clickHousePing.map(this::clickHouseAnswers).orElse(CompletableFuture.completedFuture(Optional.empty()));
        return CompletableFuture.allOf(journal, readModel, clickHouse).thenApply(all -> {
            for (CompletableFuture<Optional<String>> check : List.of(journal, readModel, clickHouse)) {
                check.join().ifPresent(failing::add);
            }
            return failing;
        });
    }

    private CompletableFuture<Optional<String>> answers(String what, String sql) {
        return CompletableFuture.supplyAsync(
                        () -> {
                            try (Connection connection = database.dataSource().getConnection();
                                    Statement statement = connection.createStatement()) {
                                statement.setQueryTimeout((int) Math.max(1, timeout.toSeconds()));
                                statement.execute(sql);
                                return Optional.<String>empty();
                            } catch (Exception e) {
                                return Optional.of(what + ": " + e.getMessage());
                            }
                        },
                        blockingIo)
                .completeOnTimeout(
                        Optional.of(what + ": no answer within " + timeout), timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private CompletableFuture<Optional<String>> clickHouseAnswers(URI ping) {
        return http.sendAsync(HttpRequest.newBuilder(ping).timeout(timeout).build(), BodyHandlers.discarding())
                .thenApply(response -> response.statusCode() == 200
                        ? Optional.<String>empty()
                        : Optional.of("ClickHouse: " + response.statusCode() + " from " + ping))
                .exceptionally(e -> Optional.of("ClickHouse: " + e.getCause()));
    }

    static void register(ActorSystem<?> system, Readiness readiness) {
        Registered.ID.apply(system).readiness = readiness;
    }

    /** The node's readiness once it registered it; empty while it starts. */
    static Optional<Readiness> of(ActorSystem<?> system) {
        return Optional.ofNullable(Registered.ID.apply(system).readiness);
    }

    /** Where Akka Management's check, which Akka creates by class name, finds the node's readiness. */
    private static final class Registered implements Extension {

        static final ExtensionId<Registered> ID = new ExtensionId<>() {
            @Override
            public Registered createExtension(ActorSystem<?> system) {
                return new Registered();
            }
        };

        volatile Readiness readiness;
    }
}
