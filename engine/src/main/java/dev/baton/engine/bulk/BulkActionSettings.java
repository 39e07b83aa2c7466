package dev.baton.engine.bulk;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Bulk action settings, from {@code baton.engine.bulk-actions}.
 *
 * @param pageSize runs read from the run index (or taken from the ids) per recorded page
 * @param concurrency runs being canceled or replayed at once by one action
 * @param maxRunIds the most run ids one action may name
 * @param readRetry how long an action waits before reading a page again after a failed read
 */
public record BulkActionSettings(int pageSize, int concurrency, int maxRunIds, Duration readRetry) {

    /** @param engine the {@code baton.engine} section */
    public static BulkActionSettings fromConfig(Config engine) {
        Config bulk = engine.getConfig("bulk-actions");
        return new BulkActionSettings(
                bulk.getInt("page-size"),
                bulk.getInt("concurrency"),
                bulk.getInt("max-run-ids"),
                bulk.getDuration("read-retry"));
    }
}
