package dev.baton.node;

import akka.actor.typed.ActorSystem;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.Join;
import akka.management.cluster.bootstrap.ClusterBootstrap;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * How a node finds its cluster, one of three ways (docs/operations.md "Starting a cluster"):
 *
 * <ul>
 *   <li>neither seed nodes nor contact points: it forms a cluster of its own ({@code baton dev}, single nodes);
 *   <li>{@code baton.cluster.contact-points}: Akka Cluster Bootstrap asks every listed management endpoint which
 *       cluster it is in and joins it; only the lowest-addressed node forms a new cluster, and only once every contact
 *       point has answered that it is in none;
 *   <li>{@code akka.cluster.seed-nodes}: Akka's static seeds. Unsafe to restart the first seed: when the others do
 *       not answer it within {@code seed-node-timeout} (a loaded machine) it forms a second cluster on the same
 *       database, and two entities then write one run.
 * </ul>
 */
final class ClusterFormation {

    static final String CONTACT_POINTS = "baton.cluster.contact-points";
    /** The Akka Discovery service the contact points are published as (cluster.conf names it for the bootstrap). */
    private static final String SERVICE = "akka.discovery.config.services.baton.endpoints";

    private ClusterFormation() {}

    /**
     * The configuration with the contact points published as a static discovery service: Akka reads it when the
     * actor system starts, so this runs before.
     */
    static Config withContactPoints(Config config) {
        List<String> points = contactPoints(config);
        if (points.isEmpty()) return config;
        if (!config.getStringList("akka.cluster.seed-nodes").isEmpty()) {
            throw new IllegalArgumentException(
                    CONTACT_POINTS + " and akka.cluster.seed-nodes are both set: choose one way to join the cluster");
        }
        if (!config.getBoolean("baton.management.enabled")) {
            throw new IllegalArgumentException(CONTACT_POINTS + " needs Akka Management (baton.management.enabled ="
                    + " on): the nodes ask each other through its /bootstrap route");
        }
        List<Map<String, Object>> endpoints = new ArrayList<>();
        for (String point : points) {
            int colon = point.lastIndexOf(':');
            int port = colon > 0 ? parsePort(point.substring(colon + 1)) : -1;
            if (port < 1 || port > 65_535) {
                throw new IllegalArgumentException(
                        CONTACT_POINTS + ": '" + point + "' is not host:port (a node's management endpoint)");
            }
            endpoints.add(Map.of("host", point.substring(0, colon), "port", port));
        }
        return ConfigFactory.parseMap(Map.of(
                        SERVICE,
                        endpoints,
                        // all of them answer before a node forms a new cluster (contact-with-all-contact-points)
                        "akka.management.cluster.bootstrap.contact-point-discovery.required-contact-point-nr",
                        endpoints.size()))
                .withFallback(config);
    }

    /** Joins itself when nothing else is configured; seed nodes join on their own. */
    static void joinIfAlone(ActorSystem<?> system) {
        Config config = system.settings().config();
        if (contactPoints(config).isEmpty()
                && config.getStringList("akka.cluster.seed-nodes").isEmpty()) {
            Cluster cluster = Cluster.get(system);
            cluster.manager().tell(Join.create(cluster.selfMember().address()));
        }
    }

    /** Starts the bootstrap, once Akka Management serves the route the other nodes probe. */
    static void bootstrapIfContactPoints(ActorSystem<?> system) {
        if (!contactPoints(system.settings().config()).isEmpty())
            ClusterBootstrap.get(system).start();
    }

    /** A list, or one string of entries separated by commas or spaces (BATON_CLUSTER_CONTACT_POINTS). */
    private static List<String> contactPoints(Config config) {
        if (!config.hasPath(CONTACT_POINTS)) return List.of();
        List<String> entries = config.getValue(CONTACT_POINTS).valueType() == ConfigValueType.LIST
                ? config.getStringList(CONTACT_POINTS)
                : List.of(config.getString(CONTACT_POINTS));
        return entries.stream()
                .flatMap(entry -> Arrays.stream(entry.split("[,\\s]+")))
                .filter(entry -> !entry.isBlank())
                .toList();
    }

    private static int parsePort(String port) {
        try {
            return Integer.parseInt(port);
        } catch (NumberFormatException notANumber) {
            return -1;
        }
    }
}
