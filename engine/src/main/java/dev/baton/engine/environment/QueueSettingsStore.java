package dev.baton.engine.environment;

import dev.baton.engine.task.RateLimit;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Reads and writes the per-queue overrides kept in {@code baton_queue_settings}: a row exists only while a queue is
 * paused or has a concurrency-limit or rate-limit override, so a queue without one is simply absent.
 */
public final class QueueSettingsStore {

    private final Sql sql;

    public QueueSettingsStore(EnvironmentDirectory directory) {
        this.sql = directory.sql();
    }

    /** The environment's overridden queues by name. */
    public Map<String, QueueSettings> loadAll(String environmentId) {
        Map<String, QueueSettings> settings = new HashMap<>();
        sql.list(
                        "SELECT queue, paused, concurrency_limit, concurrency_limit_overridden_at, rate_limit,"
                                + " rate_limit_period_ms, rate_limit_overridden_at"
                                + " FROM baton_queue_settings WHERE environment_id = ?",
                        row -> Map.entry(row.getString(1), settings(row)),
                        environmentId)
                .forEach(entry -> settings.put(entry.getKey(), entry.getValue()));
        return settings;
    }

    public QueueSettings load(String environmentId, String queue) {
        return sql.one(
                        "SELECT queue, paused, concurrency_limit, concurrency_limit_overridden_at, rate_limit,"
                                + " rate_limit_period_ms, rate_limit_overridden_at"
                                + " FROM baton_queue_settings WHERE environment_id = ? AND queue = ?",
                        QueueSettingsStore::settings,
                        environmentId,
                        queue)
                .orElse(QueueSettings.DEFAULTS);
    }

    /** Stores the queue's overrides, replacing what was there; the defaults remove its row. */
    public void save(String environmentId, String queue, QueueSettings settings) {
        sql.inTransaction(connection -> save(connection, environmentId, queue, settings));
    }

    /**
     * Changes the queue's overrides in one transaction (the row locked while it changes, so a pause and an override
     * sent together both hold) and returns what was stored. An exception from {@code change} stores nothing.
     */
    public QueueSettings update(String environmentId, String queue, UnaryOperator<QueueSettings> change) {
        return sql.inTransaction(connection -> {
            QueueSettings current = Sql.list(
                            connection,
                            "SELECT queue, paused, concurrency_limit, concurrency_limit_overridden_at, rate_limit,"
                                    + " rate_limit_period_ms, rate_limit_overridden_at"
                                    + " FROM baton_queue_settings WHERE environment_id = ? AND queue = ? FOR UPDATE",
                            QueueSettingsStore::settings,
                            environmentId,
                            queue)
                    .stream()
                    .findFirst()
                    .orElse(QueueSettings.DEFAULTS);
            QueueSettings changed = change.apply(current);
            save(connection, environmentId, queue, changed);
            return changed;
        });
    }

    private static int save(Connection connection, String environmentId, String queue, QueueSettings settings)
            throws SQLException {
        if (settings.isDefault()) {
            return Sql.update(
                    connection,
                    "DELETE FROM baton_queue_settings WHERE environment_id = ? AND queue = ?",
                    environmentId,
                    queue);
        }
        int updated = Sql.update(
                connection,
                "UPDATE baton_queue_settings SET paused = ?, concurrency_limit = ?,"
                        + " concurrency_limit_overridden_at = ?, rate_limit = ?, rate_limit_period_ms = ?,"
                        + " rate_limit_overridden_at = ? WHERE environment_id = ? AND queue = ?",
                settings.paused(),
                settings.concurrencyLimit(),
                settings.concurrencyLimitOverriddenAt(),
                rateLimit(settings),
                ratePeriodMillis(settings),
                settings.rateLimitOverriddenAt(),
                environmentId,
                queue);
        if (updated > 0) return updated;
        return Sql.update(
                connection,
                "INSERT INTO baton_queue_settings(environment_id, queue, paused, concurrency_limit,"
                        + " concurrency_limit_overridden_at, rate_limit, rate_limit_period_ms,"
                        + " rate_limit_overridden_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                environmentId,
                queue,
                settings.paused(),
                settings.concurrencyLimit(),
                settings.concurrencyLimitOverriddenAt(),
                rateLimit(settings),
                ratePeriodMillis(settings),
                settings.rateLimitOverriddenAt());
    }

    private static Integer rateLimit(QueueSettings settings) {
        return settings.rateLimit() == null ? null : settings.rateLimit().limit();
    }

    private static Long ratePeriodMillis(QueueSettings settings) {
        return settings.rateLimit() == null
                ? null
                : settings.rateLimit().period().toMillis();
    }

    private static QueueSettings settings(ResultSet row) throws SQLException {
        Integer rateLimit = row.getObject(5, Integer.class);
        Long ratePeriodMillis = row.getObject(6, Long.class);
        return new QueueSettings(
                row.getBoolean(2),
                (Integer) row.getObject(3, Integer.class),
                Sql.instant(row, "concurrency_limit_overridden_at"),
                rateLimit == null || ratePeriodMillis == null
                        ? null
                        : new RateLimit(rateLimit, Duration.ofMillis(ratePeriodMillis)),
                Sql.instant(row, "rate_limit_overridden_at"));
    }
}
