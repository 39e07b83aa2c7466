package dev.baton.loadtest;

import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The generator's settings: the peers harness's flags (docs/benchmarks.md, "Command") plus
 * where the node and its database are. Defaults come from the environment, then from the harness.
 *
 * @param rates       open-loop rates for the latency phase, one phase per rate (e.g. {@code 100,500})
 * @param phases      in order; see {@link Bench} for the names
 * @param warmup      runs first put through batch load, drain, single triggers and drain, unmeasured (0: none)
 * @param dbUrl       JDBC URL of the node's database (read model and journal), needed to count and check
 * @param clickhouseUrl ClickHouse HTTP URL when the node writes analytics there; null to skip that check
 */
public record BenchOptions(
        URI url,
        String secretKey,
        String workerToken,
        String dbUrl,
        String dbUser,
        String dbPassword,
        int n,
        int batch,
        int inflight,
        int concurrency,
        int workers,
        List<Integer> rates,
        int durationSeconds,
        List<String> phases,
        int phaseTimeoutSeconds,
        String label,
        boolean check,
        int warmup,
        int logLines,
        String clickhouseUrl,
        String clickhouseDatabase) {

    public static final String DEFAULT_PHASES = "enqueue_batch,drain_batch,enqueue_single,drain_single,latency";

    static final String USAGE = """
      usage: Bench [--url http://127.0.0.1:8080] [--secret-key K] [--worker-token T]
                   [--db-url jdbc:postgresql://…] [--db-user U] [--db-password P]
                   [--n 20000] [--batch 1000] [--inflight 64] [--concurrency 32] [--workers 1]
                   [--rate 500[,100…]] [--duration 20] [--phases %s]
                   [--phase-timeout 240] [--label L] [--no-check] [--warmup 0] [--log-lines 0]
                   [--clickhouse-url http://127.0.0.1:8123] [--clickhouse-database baton]
      Environment defaults: BATON_URL, BATON_SECRET_KEY, BATON_WORKER_TOKEN, BATON_DB_URL, BATON_DB_USER,
      BATON_DB_PASSWORD, BATON_CLICKHOUSE_URL.""".formatted(DEFAULT_PHASES);

    public static BenchOptions parse(String[] args) {
        return parse(args, System.getenv());
    }

    static BenchOptions parse(String[] args, Map<String, String> env) {
        Map<String, String> values = new java.util.LinkedHashMap<>();
        values.put("url", env.getOrDefault("BATON_URL", "http://127.0.0.1:8080"));
        values.put("secret-key", env.getOrDefault("BATON_SECRET_KEY", ""));
        values.put("worker-token", env.getOrDefault("BATON_WORKER_TOKEN", ""));
        values.put("db-url", env.getOrDefault("BATON_DB_URL", ""));
        values.put("db-user", env.getOrDefault("BATON_DB_USER", "postgres"));
        values.put("db-password", env.getOrDefault("BATON_DB_PASSWORD", "postgres"));
        values.put("n", "20000");
        values.put("batch", "1000");
        values.put("inflight", "64");
        values.put("concurrency", "32");
        values.put("workers", "1");
        values.put("rate", "500");
        values.put("duration", "20");
        values.put("phases", DEFAULT_PHASES);
        values.put("phase-timeout", "240");
        values.put("label", "");
        values.put("warmup", "0");
        values.put("log-lines", "0");
        values.put("clickhouse-url", env.getOrDefault("BATON_CLICKHOUSE_URL", ""));
        values.put("clickhouse-database", env.getOrDefault("BATON_CLICKHOUSE_DATABASE", "baton"));
        boolean check = true;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("-h") || arg.equals("--help")) throw new IllegalArgumentException(USAGE);
            if (arg.equals("--no-check")) {
                check = false;
                continue;
            }
            if (!arg.startsWith("--")) throw new IllegalArgumentException("unexpected argument " + arg + "\n" + USAGE);
            String name = arg.substring(2);
            String value;
            int eq = name.indexOf('=');
            if (eq >= 0) { // --n=2000, as node's parseArgs accepts
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                throw new IllegalArgumentException("missing value for --" + name + "\n" + USAGE);
            }
            if (!values.containsKey(name))
                throw new IllegalArgumentException("unknown option --" + name + "\n" + USAGE);
            values.put(name, value);
        }
        List<Integer> rates = new ArrayList<>();
        for (String rate : values.get("rate").split(",")) rates.add(positive("rate", rate.trim()));
        List<String> phases = Arrays.stream(values.get("phases").split(","))
                .map(String::trim)
                .filter(s -> !s.isEmpty())
                .map(BenchOptions::canonicalPhase)
                .toList();
        BenchOptions options = new BenchOptions(
                URI.create(values.get("url").replaceAll("/+$", "")),
                values.get("secret-key"),
                values.get("worker-token"),
                values.get("db-url"),
                values.get("db-user"),
                values.get("db-password"),
                positive("n", values.get("n")),
                positive("batch", values.get("batch")),
                positive("inflight", values.get("inflight")),
                positive("concurrency", values.get("concurrency")),
                positive("workers", values.get("workers")),
                List.copyOf(rates),
                positive("duration", values.get("duration")),
                phases,
                positive("phase-timeout", values.get("phase-timeout")),
                values.get("label"),
                check,
                notNegative("warmup", values.get("warmup")),
                notNegative("log-lines", values.get("log-lines")),
                blankToNull(values.get("clickhouse-url")),
                values.get("clickhouse-database"));
        if (options.secretKey().isBlank())
            throw new IllegalArgumentException("--secret-key (or BATON_SECRET_KEY) is required");
        if (options.workerToken().isBlank())
            throw new IllegalArgumentException("--worker-token (or BATON_WORKER_TOKEN) is required");
        if (options.dbUrl().isBlank()) {
            throw new IllegalArgumentException(
                    "--db-url (or BATON_DB_URL) is required: runs are counted and checked in the database");
        }
        if (options.workers() > options.concurrency())
            throw new IllegalArgumentException("--workers must be <= --concurrency");
        return options;
    }

    /** The harness calls the latency phase {@code latency}; its metric is {@code latency_e2e}. Both are accepted. */
    private static String canonicalPhase(String phase) {
        String canonical = phase.equals("latency_e2e") ? "latency" : phase;
        if (!List.of("enqueue_batch", "drain_batch", "enqueue_single", "drain_single", "latency")
                .contains(canonical)) {
            throw new IllegalArgumentException("unknown phase " + phase + " (known: " + DEFAULT_PHASES + ")");
        }
        return canonical;
    }

    private static int positive(String name, String value) {
        try {
            int parsed = Integer.parseInt(value);
            if (parsed < 1) throw new IllegalArgumentException("--" + name + " must be at least 1, was " + value);
            return parsed;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " needs a number, got " + value);
        }
    }

    private static int notNegative(String name, String value) {
        return value.equals("0") ? 0 : positive(name, value);
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value;
    }

    /** Slots of worker {@code index} (0-based) when {@link #concurrency} slots are split over {@link #workers}. */
    public int slotsOf(int index) {
        return concurrency / workers + (index < concurrency % workers ? 1 : 0);
    }
}
