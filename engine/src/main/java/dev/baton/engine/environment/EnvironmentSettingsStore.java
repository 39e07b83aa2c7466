package dev.baton.engine.environment;

import dev.baton.engine.environment.EnvironmentSettings.TriggerRateLimit;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;

/** Reads and writes the per-environment settings kept on {@code baton_environments}. */
public final class EnvironmentSettingsStore {

    private final Sql sql;

    public EnvironmentSettingsStore(EnvironmentDirectory directory) {
        this.sql = directory.sql();
    }

    /** The environment's settings; the defaults for an environment this store does not know. */
    public EnvironmentSettings load(String environmentId) {
        return sql.one(
                        "SELECT concurrency_limit, trigger_rate_burst, trigger_rate_refill, trigger_rate_interval_ms,"
                                + " paused FROM baton_environments WHERE id = ?",
                        EnvironmentSettingsStore::settings,
                        environmentId)
                .orElse(EnvironmentSettings.DEFAULTS);
    }

    public void save(String environmentId, EnvironmentSettings settings) {
        TriggerRateLimit rate = settings.triggerRateLimit();
        sql.update(
                "UPDATE baton_environments SET concurrency_limit = ?, trigger_rate_burst = ?,"
                        + " trigger_rate_refill = ?, trigger_rate_interval_ms = ?, paused = ? WHERE id = ?",
                settings.concurrencyLimit(),
                rate == null ? null : rate.burst(),
                rate == null ? null : rate.refill(),
                rate == null ? null : rate.interval().toMillis(),
                settings.paused(),
                environmentId);
    }

    private static EnvironmentSettings settings(ResultSet row) throws SQLException {
        Integer limit = (Integer) row.getObject(1, Integer.class);
        long burst = row.getLong(2);
        TriggerRateLimit rate =
                row.wasNull() ? null : new TriggerRateLimit(burst, row.getLong(3), Duration.ofMillis(row.getLong(4)));
        return new EnvironmentSettings(limit, rate, row.getBoolean(5));
    }
}
