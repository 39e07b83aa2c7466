package dev.baton.projections.internal;

import akka.japi.function.Function;
import akka.projection.jdbc.JdbcSession;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * A projection's transaction: one connection from Baton's pool with autocommit off. akka-projection
 * writes the offset through the same connection and commits (or rolls back) the whole group at once.
 */
public final class DataSourceJdbcSession implements JdbcSession {

    private final Connection connection;

    public DataSourceJdbcSession(DataSource dataSource) {
        try {
            this.connection = dataSource.getConnection();
        } catch (SQLException e) {
            throw new IllegalStateException("no database connection for the projection", e);
        }
        try {
            connection.setAutoCommit(false);
        } catch (SQLException e) {
            closeQuietly();
            throw new IllegalStateException("cannot start a projection transaction", e);
        }
    }

    @Override
    public <Result> Result withConnection(Function<Connection, Result> func) throws Exception {
        return func.apply(connection);
    }

    @Override
    public void commit() throws SQLException {
        connection.commit();
    }

    @Override
    public void rollback() throws SQLException {
        connection.rollback();
    }

    @Override
    public void close() throws SQLException {
        connection.close();
    }

    private void closeQuietly() {
        try {
            connection.close();
        } catch (SQLException ignored) {
            // already failing
        }
    }
}
