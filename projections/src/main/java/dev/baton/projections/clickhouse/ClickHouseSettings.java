package dev.baton.projections.clickhouse;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

/**
 * Settings of the ClickHouse analytics sink, from {@code baton.clickhouse}, plus the engine's tag count and
 * read journal (one projection per run event tag; the journal is read back when a run's facts are not cached).
 * The sink is on only when {@code url} is set.
 */
public record ClickHouseSettings(
        String url,
        String database,
        String user,
        String password,
        boolean compressServerResponse,
        Duration connectTimeout,
        Duration requestTimeout,
        int groupAfterEnvelopes,
        Duration groupAfterDuration,
        Duration minBackoff,
        Duration maxBackoff,
        double backoffRandomFactor,
        int cachedRunsPerTag,
        int maxErrorMessageLength,
        int tagCount,
        String readJournalPluginId) {

    public static final String DISPATCHER = "baton.clickhouse.dispatcher";
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    public ClickHouseSettings {
        if (!IDENTIFIER.matcher(database).matches()) {
            throw new IllegalArgumentException("baton.clickhouse.database must be a plain identifier: " + database);
        }
    }

    public static ClickHouseSettings fromConfig(Config config) {
        Config ch = config.getConfig("baton.clickhouse");
        return new ClickHouseSettings(
                ch.getString("url").trim(),
                ch.getString("database"),
                ch.getString("user"),
                ch.getString("password"),
                ch.getBoolean("compress-server-response"),
                ch.getDuration("connect-timeout"),
                ch.getDuration("request-timeout"),
                ch.getInt("group-after-envelopes"),
                ch.getDuration("group-after-duration"),
                ch.getDuration("restart-backoff.min"),
                ch.getDuration("restart-backoff.max"),
                ch.getDouble("restart-backoff.random-factor"),
                ch.getInt("cached-runs-per-tag"),
                ch.getInt("max-error-message-length"),
                config.getInt("baton.engine.run.tag-count"),
                config.getString("baton.engine.read-journal-plugin"));
    }

    public boolean enabled() {
        return !url.isEmpty();
    }

    /** The run event tags ("run-0" .. "run-N-1", as {@code RunSettings.tagFor} writes them): one projection each. */
    public List<String> tags() {
        return IntStream.range(0, tagCount).mapToObj(i -> "run-" + i).toList();
    }

    /** The same server with other timeouts: the API's reads give up sooner than the sink's writes. */
    public ClickHouseSettings withTimeouts(Duration otherConnectTimeout, Duration otherRequestTimeout) {
        return new ClickHouseSettings(
                url,
                database,
                user,
                password,
                compressServerResponse,
                otherConnectTimeout,
                otherRequestTimeout,
                groupAfterEnvelopes,
                groupAfterDuration,
                minBackoff,
                maxBackoff,
                backoffRandomFactor,
                cachedRunsPerTag,
                maxErrorMessageLength,
                tagCount,
                readJournalPluginId);
    }

    public ClickHouseSettings withDatabase(String otherDatabase) {
        return new ClickHouseSettings(
                url,
                otherDatabase,
                user,
                password,
                compressServerResponse,
                connectTimeout,
                requestTimeout,
                groupAfterEnvelopes,
                groupAfterDuration,
                minBackoff,
                maxBackoff,
                backoffRandomFactor,
                cachedRunsPerTag,
                maxErrorMessageLength,
                tagCount,
                readJournalPluginId);
    }
}
