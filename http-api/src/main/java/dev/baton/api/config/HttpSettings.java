package dev.baton.api.config;

import com.typesafe.config.Config;
import java.time.Duration;

/** The public API's settings, from {@code baton.http} (see this module's {@code reference.conf}). */
public record HttpSettings(
        long maxBodySize,
        Duration bodyReadTimeout,
        long refusedBodyDrainLimit,
        long maxMetadataSize,
        int maxTags,
        int maxTagLength,
        int maxIdempotencyKeyLength,
        long maxMetadataBodySize,
        int maxConcurrencyKeyLength,
        Duration maxDelay,
        Duration maxTtl,
        int listDefaultPageSize,
        int listMaxPageSize,
        int listMaxFilterValues) {

    public static HttpSettings fromConfig(Config root) {
        Config http = root.getConfig("baton.http");
        return new HttpSettings(
                http.getBytes("max-body-size"),
                http.getDuration("body-read-timeout"),
                http.getBytes("refused-body-drain-limit"),
                http.getBytes("max-metadata-size"),
                http.getInt("max-tags"),
                http.getInt("max-tag-length"),
                http.getInt("max-idempotency-key-length"),
                http.getBytes("max-metadata-body-size"),
                http.getInt("max-concurrency-key-length"),
                http.getDuration("max-delay"),
                http.getDuration("max-ttl"),
                http.getInt("list.default-page-size"),
                http.getInt("list.max-page-size"),
                http.getInt("list.max-filter-values"));
    }
}
