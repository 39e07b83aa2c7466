package dev.baton.engine.testkit;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.baton.engine.common.Ids;
import dev.baton.engine.storage.Database;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Test databases: a fresh schema on the real PostgreSQL (BATON_TEST_DB_URL/USER/PASSWORD, defaults to
 * the local baton_test database) per test class, or a private in-memory H2 database.
 */
public final class TestDatabases {

    private TestDatabases() {}

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }

    public static String user() {
        return env("BATON_TEST_DB_USER", "postgres");
    }

    public static String password() {
        return env("BATON_TEST_DB_PASSWORD", "postgres");
    }

    /** A fresh, empty PostgreSQL schema on the test database; returns the JDBC URL that uses it. */
    public static String freshPostgresSchema(String prefix) {
        String baseUrl = env("BATON_TEST_DB_URL", "jdbc:postgresql://127.0.0.1:5432/baton_test");
        String schema = (prefix + "_" + Ids.random(8)).toLowerCase();
        try (Connection connection = DriverManager.getConnection(baseUrl, user(), password());
                Statement statement = connection.createStatement()) {
            statement.execute("CREATE SCHEMA " + schema);
        } catch (SQLException e) {
            throw new IllegalStateException(
                    "cannot reach the test PostgreSQL at " + baseUrl
                            + " (set BATON_TEST_DB_URL/USER/PASSWORD or run ./scripts/test)",
                    e);
        }
        return baseUrl + (baseUrl.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    }

    public static String freshH2(String name) {
        return "jdbc:h2:mem:" + name + "-" + Ids.random(6) + ";DB_CLOSE_DELAY=-1";
    }

    /** {@code baton.db} for this URL (H2 or PostgreSQL). */
    public static Config dbConfig(String url) {
        boolean h2 = Database.dialectOf(url) == Database.Dialect.H2;
        return ConfigFactory.parseString("""
        url = "%s"
        user = "%s"
        password = "%s"
        pool-size = 4
        connection-timeout = 5s
        """.formatted(url, h2 ? "sa" : user(), h2 ? "" : password()));
    }
}
