package dev.baton.node;

import akka.actor.typed.ActorSystem;
import akka.cluster.ClusterEvent.CurrentClusterState;
import akka.cluster.typed.Cluster;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.model.headers.RawHeader;
import akka.http.javadsl.server.Directives;
import akka.http.javadsl.server.Route;
import dev.baton.api.errors.ErrorHandling;
import java.util.List;
import java.util.Optional;

/**
 * A node cut off from the majority of its cluster answers 503 at once: it is about to down itself (the split-brain
 * resolver keeps the majority), the majority takes its shards over, and anything it asked there would only time
 * out. A client that retries 503 on another node, as the SDK does, reaches the side that carries on.
 */
final class MajorityGuard {

    static final String CUT_OFF = "This node is cut off from the majority of its cluster; retry on another node";

    private final Cluster cluster;

    MajorityGuard(ActorSystem<?> system) {
        this.cluster = Cluster.get(system);
    }

    /** Why this node must not serve, when it cannot reach more than half of the members (itself included). */
    Optional<String> cutOff() {
        CurrentClusterState state = cluster.state();
        int members = state.members().size();
        int unreachable = state.getUnreachable().size();
        if (members == 0 || (members - unreachable) * 2 > members) return Optional.empty();
        return Optional.of(
                "cut off from the cluster's majority: " + unreachable + " of " + members + " members unreachable");
    }

    Route guard(Route inner) {
        return Directives.extract(
                context -> cutOff().isPresent(),
                cutOff -> cutOff
                        ? Directives.complete(ErrorHandling.errorResponse(
                                StatusCodes.SERVICE_UNAVAILABLE,
                                CUT_OFF,
                                List.of(RawHeader.create("retry-after", "1"))))
                        : inner);
    }
}
