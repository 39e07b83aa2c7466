package dev.baton.api.batches;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * The batch calls' limits, from {@code baton.http.batch} (see this module's {@code reference.conf}).
 *
 * @param maxItemSize the largest item (one NDJSON line, or one element of {@code items})
 * @param maxItemsBodySize the largest body of an items call
 * @param bodyReadTimeout how long a whole items body may take to arrive
 */
public record BatchHttpSettings(long maxItemSize, long maxItemsBodySize, Duration bodyReadTimeout) {

    public static BatchHttpSettings fromConfig(Config root) {
        Config batch = root.getConfig("baton.http.batch");
        return new BatchHttpSettings(
                batch.getBytes("max-item-size"),
                batch.getBytes("max-items-body-size"),
                batch.getDuration("body-read-timeout"));
    }
}
