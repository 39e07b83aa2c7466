package dev.baton.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BenchOptionsTest {

    private static final Map<String, String> ENV = Map.of(
            "BATON_SECRET_KEY",
            "tr_x",
            "BATON_WORKER_TOKEN",
            "bw_x",
            "BATON_DB_URL",
            "jdbc:postgresql://127.0.0.1:5432/baton_bench");

    @Test
    void defaultsAreTheHarnesss() {
        BenchOptions options = BenchOptions.parse(new String[0], ENV);
        assertEquals(20000, options.n());
        assertEquals(1000, options.batch());
        assertEquals(64, options.inflight());
        assertEquals(32, options.concurrency());
        assertEquals(List.of(500), options.rates());
        assertEquals(20, options.durationSeconds());
        assertEquals(
                List.of("enqueue_batch", "drain_batch", "enqueue_single", "drain_single", "latency"), options.phases());
    }

    @Test
    void flagsTakeBothFormsAndSeveralRates() {
        BenchOptions options = BenchOptions.parse(
                new String[] {
                    "--n=2000", "--rate", "100,500", "--phases", "enqueue_single,latency_e2e", "--url", "http://h:1/"
                },
                ENV);
        assertEquals(2000, options.n());
        assertEquals(List.of(100, 500), options.rates());
        assertEquals(List.of("enqueue_single", "latency"), options.phases());
        assertEquals("http://h:1", options.url().toString());
        assertEquals(0, options.warmup());
        assertEquals(
                5000, BenchOptions.parse(new String[] {"--warmup", "5000"}, ENV).warmup());
    }

    @Test
    void slotsAreSplitOverWorkers() {
        BenchOptions options = BenchOptions.parse(new String[] {"--concurrency", "32", "--workers", "3"}, ENV);
        assertEquals(32, options.slotsOf(0) + options.slotsOf(1) + options.slotsOf(2));
        assertEquals(11, options.slotsOf(0));
        assertEquals(10, options.slotsOf(2));
    }

    @Test
    void badInputIsRefusedWithTheReason() {
        assertThrows(
                IllegalArgumentException.class, () -> BenchOptions.parse(new String[] {"--phases", "warmup"}, ENV));
        assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse(new String[] {"--n", "0"}, ENV));
        assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse(new String[] {"--warmup", "-1"}, ENV));
        assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse(new String[] {"--bogus", "1"}, ENV));
        assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse(new String[0], Map.of()));
    }

    @Test
    void percentilesMatchTheHarness() {
        double[] sorted = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        assertEquals(5, Stats.pct(sorted, 50));
        assertEquals(10, Stats.pct(sorted, 99));
        assertEquals(10, Stats.pct(sorted, 95));
        assertEquals("NaN", Stats.f2(Stats.pct(new double[0], 50)));
    }
}
