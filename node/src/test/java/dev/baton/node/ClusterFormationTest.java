package dev.baton.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClusterFormationTest {

    private static Config config(String settings) {
        return ConfigFactory.parseString(settings)
                .withFallback(
                        ConfigFactory.parseString(
                                "akka.cluster.seed-nodes = [], baton.management.enabled = on, baton.cluster.contact-points = \"\""))
                .resolve();
    }

    @Test
    void contactPointsBecomeTheBootstrapsDiscoveredEndpoints() {
        Config config = ClusterFormation.withContactPoints(
                config("baton.cluster.contact-points = \"10.0.0.1:8558, 10.0.0.2:8558,[::1]:8600\""));

        List<? extends Config> endpoints = config.getConfigList("akka.discovery.config.services.baton.endpoints");
        assertEquals(3, endpoints.size());
        assertEquals("10.0.0.2", endpoints.get(1).getString("host"));
        assertEquals("[::1]", endpoints.get(2).getString("host"));
        assertEquals(8600, endpoints.get(2).getInt("port"));
        assertEquals(
                3,
                config.getInt("akka.management.cluster.bootstrap.contact-point-discovery.required-contact-point-nr"));
    }

    @Test
    void withoutContactPointsTheConfigurationIsUnchanged() {
        Config config = config("");
        assertEquals(config, ClusterFormation.withContactPoints(config));
        assertFalse(ClusterFormation.withContactPoints(config).hasPath("akka.discovery.config.services.baton"));
    }

    @Test
    void refusesWhatCannotWork() {
        IllegalArgumentException both = assertThrows(
                IllegalArgumentException.class,
                () -> ClusterFormation.withContactPoints(config("baton.cluster.contact-points = \"a:8558\","
                        + " akka.cluster.seed-nodes = [\"akka://baton@a:25520\"]")));
        assertTrue(both.getMessage().contains("akka.cluster.seed-nodes"), both.getMessage());

        IllegalArgumentException noManagement = assertThrows(
                IllegalArgumentException.class,
                () -> ClusterFormation.withContactPoints(
                        config("baton.cluster.contact-points = \"a:8558\", baton.management.enabled = off")));
        assertTrue(noManagement.getMessage().contains("baton.management.enabled"), noManagement.getMessage());

        for (String bad : List.of("a", "a:", "a:port", ":8558", "a:70000")) {
            IllegalArgumentException notHostPort = assertThrows(
                    IllegalArgumentException.class,
                    () -> ClusterFormation.withContactPoints(config("baton.cluster.contact-points = \"" + bad + "\"")),
                    bad);
            assertTrue(notHostPort.getMessage().contains("'" + bad + "' is not host:port"), notHostPort.getMessage());
        }
    }
}
