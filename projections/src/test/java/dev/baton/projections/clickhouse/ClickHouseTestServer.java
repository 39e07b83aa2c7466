package dev.baton.projections.clickhouse;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.baton.engine.common.Ids;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The ClickHouse server of the tests: BATON_TEST_CLICKHOUSE_URL (./scripts/test starts a private one and sets
 * it), else one answering on 127.0.0.1:8123. With neither, ClickHouse tests are skipped with a message; a
 * configured URL that does not answer fails them. Each test class works in a fresh database.
 */
public final class ClickHouseTestServer {

    public static final String URL_VARIABLE = "BATON_TEST_CLICKHOUSE_URL";
    static final String FALLBACK_URL = "http://127.0.0.1:8123";

    private ClickHouseTestServer() {}

    public static final String SKIPPED = "ClickHouse tests skipped: " + URL_VARIABLE + " is not set and no ClickHouse"
            + " answers on " + FALLBACK_URL + " (./scripts/test starts one)";

    /**
     * The URL of the test server, or null when there is none (then each test is skipped with {@link #SKIPPED}:
     * see {@link #requireServer}). A configured URL that does not answer fails the caller.
     */
    public static String find() {
        String configured = System.getenv(URL_VARIABLE);
        if (configured != null && !configured.isBlank()) {
            if (!answers(configured)) Assertions.fail(URL_VARIABLE + "=" + configured + " does not answer /ping");
            return configured;
        }
        if (answers(FALLBACK_URL)) return FALLBACK_URL;
        System.err.println(SKIPPED);
        return null;
    }

    /** Skips the calling test, with the reason, when {@link #find} found no server. */
    public static void requireServer(String url) {
        Assumptions.assumeTrue(url != null, SKIPPED);
    }

    public static boolean answers(String url) {
        try {
            HttpResponse<String> response = HttpClient.newBuilder()
                    .connectTimeout(Duration.ofSeconds(2))
                    .build()
                    .send(
                            HttpRequest.newBuilder(URI.create(url.replaceAll("/+$", "") + "/ping"))
                                    .timeout(Duration.ofSeconds(2))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 && response.body().startsWith("Ok.");
        } catch (Exception e) {
            return false;
        }
    }

    public static String freshDatabase(String prefix) {
        return (prefix + "_" + Ids.random(8)).toLowerCase();
    }

    /** {@code baton.clickhouse} for this server and database, on top of the reference defaults. */
    public static Config config(String url, String database) {
        return ConfigFactory.parseString("""
        baton.clickhouse.url = "%s"
        baton.clickhouse.database = "%s"
        """.formatted(url, database));
    }

    public static ClickHouseSettings settings(String url, String database) {
        return ClickHouseSettings.fromConfig(config(url, database)
                .withFallback(ConfigFactory.defaultReference())
                .resolve());
    }

    /** A store on its own threads (close it, then shut the executor down). */
    public static Store store(String url, String database) {
        ExecutorService executor = Executors.newFixedThreadPool(2);
        return new Store(new ClickHouseStore(settings(url, database), executor), executor);
    }

    /** A test's store and the threads it runs on. */
    public record Store(ClickHouseStore store, ExecutorService executor) implements AutoCloseable {
        public void dropDatabase() {
            store.execute("DROP DATABASE IF EXISTS " + store.database(), null);
        }

        @Override
        public void close() {
            store.close();
            executor.shutdownNow();
        }
    }
}
