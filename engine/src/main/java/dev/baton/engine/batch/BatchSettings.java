package dev.baton.engine.batch;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Batch settings, from {@code baton.engine.batch} and {@code baton.engine.idempotency}.
 *
 * @param maxRunCount the most items one batch may have
 * @param createParallelism item runs being created at once while items are added
 * @param recordChunkSize item outcomes per journal event of the batch
 * @param keyTtl how long a batch idempotency key returns the same batch
 * @param requestKeyTtl how long a request idempotency key dedupes retried creates
 */
public record BatchSettings(
        int maxRunCount, int createParallelism, int recordChunkSize, Duration keyTtl, Duration requestKeyTtl) {

    /** @param engine the {@code baton.engine} section */
    public static BatchSettings fromConfig(Config engine) {
        Config batch = engine.getConfig("batch");
        return new BatchSettings(
                batch.getInt("max-run-count"),
                batch.getInt("create-parallelism"),
                batch.getInt("record-chunk-size"),
                engine.getDuration("idempotency.default-key-ttl"),
                engine.getDuration("idempotency.request-key-ttl"));
    }
}
