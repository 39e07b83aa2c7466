package dev.baton.engine.storage;

import com.typesafe.config.Config;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.function.Supplier;
import javax.sql.DataSource;

/**
 * Baton's own connection pool (the journal has its own, inside akka-persistence-jdbc) and the
 * schema: created on start when missing, idempotently, for PostgreSQL or the embedded H2 store.
 */
public final class Database implements AutoCloseable {

    public enum Dialect {
        POSTGRES,
        H2
    }

    private final HikariDataSource dataSource;
    private final Dialect dialect;

    private Database(HikariDataSource dataSource, Dialect dialect) {
        this.dataSource = dataSource;
        this.dialect = dialect;
    }

    /**
     * Opens a pool from {@code baton.db}: {@code url}, {@code user}, {@code password}, {@code pool-size},
     * {@code connection-timeout}.
     */
    public static Database open(Config db) {
        String url = db.getString("url");
        if (url.isBlank()) throw new IllegalArgumentException("baton.db.url is not set (BATON_DB_URL)");
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setUsername(db.getString("user"));
        config.setPassword(db.getString("password"));
        config.setMaximumPoolSize(db.getInt("pool-size"));
        config.setConnectionTimeout(db.getDuration("connection-timeout").toMillis());
        config.setPoolName("baton-db");
        return new Database(new HikariDataSource(config), dialectOf(url));
    }

    public static Dialect dialectOf(String jdbcUrl) {
        if (jdbcUrl.startsWith("jdbc:postgresql:")) return Dialect.POSTGRES;
        if (jdbcUrl.startsWith("jdbc:h2:")) return Dialect.H2;
        throw new IllegalArgumentException("unsupported database URL (PostgreSQL or H2 only): " + jdbcUrl);
    }

    public DataSource dataSource() {
        return dataSource;
    }

    public Dialect dialect() {
        return dialect;
    }

    /** Creates the journal and Baton tables if missing. Safe to run on every start, from every node. */
    public void createSchemaIfMissing() {
        String journal = dialect == Dialect.POSTGRES ? "db/journal-postgres.sql" : "db/journal-h2.sql";
        runSchemaScripts(journal, "db/baton-schema.sql");
    }

    /**
     * Runs another module's idempotent schema script (a classpath resource; statements separated by
     * {@code ;}, {@code --} line comments) under the same lock as {@link #createSchemaIfMissing()}.
     */
    public void runSchemaScript(String resource) {
        runSchemaScripts(resource);
    }

    /**
     * Runs {@code work} while no other node runs a schema script or its own start-up step: nodes starting together on
     * an empty database would otherwise all create the bootstrap organization, and all but one fail to start.
     */
    public <T> T exclusivelyAmongNodes(Supplier<T> work) {
        try {
            return underStartupLock(connection -> work.get());
        } catch (SQLException e) {
            throw new IllegalStateException("could not take the nodes' start-up lock", e);
        }
    }

    /**
     * Nodes starting together must not race on CREATE ... IF NOT EXISTS (it is not atomic in PostgreSQL), so the
     * scripts run under the start-up lock. Each statement commits on its own: a node joining a running cluster must
     * not hold one table's lock while waiting for another's, or it deadlocks with the projections writing both (an
     * ALTER TABLE ... IF NOT EXISTS locks its table even when there is nothing to do).
     */
    private void runSchemaScripts(String... resources) {
        try {
            underStartupLock(connection -> {
                for (String resource : resources) runScript(connection, resource);
                return null;
            });
        } catch (SQLException e) {
            throw new IllegalStateException("could not run the schema scripts " + String.join(", ", resources), e);
        }
    }

    private interface WithConnection<T> {
        T run(Connection connection) throws SQLException;
    }

    /** A PostgreSQL session lock, held on its own connection; none on H2, whose file only one node opens. */
    private <T> T underStartupLock(WithConnection<T> work) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(true);
            boolean advisoryLock = dialect == Dialect.POSTGRES;
            if (advisoryLock) execute(connection, "SELECT pg_advisory_lock(7723001)");
            try {
                return work.run(connection);
            } finally {
                if (advisoryLock) execute(connection, "SELECT pg_advisory_unlock(7723001)");
            }
        }
    }

    private static void execute(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    private static void runScript(Connection connection, String resource) throws SQLException {
        String withoutComments = readResource(resource).replaceAll("(?m)^\\s*--.*$", "");
        for (String sql : withoutComments.split(";")) {
            if (!sql.isBlank()) execute(connection, sql.trim());
        }
    }

    private static String readResource(String resource) {
        try (InputStream in = Database.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("missing resource " + resource);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        dataSource.close();
    }
}
