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
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            if (dialect == Dialect.POSTGRES) {
                // Nodes starting together must not race on CREATE ... IF NOT EXISTS (it is not atomic in PostgreSQL).
                try (Statement lock = connection.createStatement()) {
                    lock.execute("SELECT pg_advisory_xact_lock(7723001)");
                }
            }
            runScript(connection, journal);
            runScript(connection, "db/baton-schema.sql");
            connection.commit();
        } catch (SQLException e) {
            throw new IllegalStateException("could not create the database schema", e);
        }
    }

    /**
     * Runs another module's idempotent schema script (a classpath resource; statements separated by
     * {@code ;}, {@code --} line comments) in one transaction, under the same lock as
     * {@link #createSchemaIfMissing()}, so nodes starting together never race on it.
     */
    public void runSchemaScript(String resource) {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            if (dialect == Dialect.POSTGRES) {
                try (Statement lock = connection.createStatement()) {
                    lock.execute("SELECT pg_advisory_xact_lock(7723001)");
                }
            }
            runScript(connection, resource);
            connection.commit();
        } catch (SQLException e) {
            throw new IllegalStateException("could not run the schema script " + resource, e);
        }
    }

    private static void runScript(Connection connection, String resource) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            String withoutComments = readResource(resource).replaceAll("(?m)^\\s*--.*$", "");
            for (String sql : withoutComments.split(";")) {
                if (!sql.isBlank()) statement.execute(sql.trim());
            }
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
