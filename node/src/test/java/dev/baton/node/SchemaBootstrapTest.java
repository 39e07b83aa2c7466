package dev.baton.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import dev.baton.engine.storage.Database;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * `baton server` creates the schema on start: missing tables are created, and concurrent or repeated starts never fail.
 */
class SchemaBootstrapTest {

    @Test
    void concurrentAndRepeatedSchemaCreationOnPostgresSucceeds() throws Exception {
        String url = TestNodes.freshPostgresSchema("schema");
        List<Database> databases = List.of(open(url), open(url), open(url));
        try {
            CompletableFuture.allOf(databases.stream()
                            .map(db -> CompletableFuture.runAsync(db::createSchemaIfMissing))
                            .toArray(CompletableFuture[]::new))
                    .get();
            databases.get(0).createSchemaIfMissing();

            try (Connection connection = databases.get(0).dataSource().getConnection();
                    Statement statement = connection.createStatement();
                    ResultSet rows = statement.executeQuery(
                            "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()")) {
                rows.next();
                assertEquals(
                        11,
                        rows.getInt(1),
                        "event_journal, event_tag, snapshot and eight baton_ tables (organizations, projects,"
                                + " environments, credentials, users, organization members, personal access tokens,"
                                + " queue settings)");
            }
        } finally {
            databases.forEach(Database::close);
        }
    }

    private static Database open(String url) {
        return Database.open(ConfigFactory.parseMap(Map.of(
                "url",
                url,
                "user",
                TestNodes.user(),
                "password",
                TestNodes.password(),
                "pool-size",
                2,
                "connection-timeout",
                "5s")));
    }
}
