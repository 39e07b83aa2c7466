package dev.baton.examples;

import dev.baton.sdk.task.Task;
import dev.baton.sdk.worker.BatonWorker;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A complete Baton worker: it serves the {@link ExampleTasks} until it is stopped. Read it as the
 * SDK's living documentation; a real worker differs only in its tasks.
 *
 * <pre>
 * java -cp … dev.baton.examples.ExampleWorker --url http://127.0.0.1:8080 --worker-token $BATON_WORKER_TOKEN
 * </pre>
 *
 * Options: {@code --url} (default {@code $BATON_URL}, else {@code http://127.0.0.1:8080}; several nodes'
 * URLs separated by commas, e.g. {@code http://10.0.0.1:8080,http://10.0.0.2:8080}: the worker connects to the
 * first and moves to the next when its node goes away),
 * {@code --worker-token} (default {@code $BATON_WORKER_TOKEN}; required), {@code --slots} (default 8).
 */
public final class ExampleWorker {

    private static final Logger log = LoggerFactory.getLogger(ExampleWorker.class);

    /** Command-line settings, after defaults from the environment. */
    record Options(List<URI> urls, String workerToken, int slots) {

        static Options parse(String[] args) {
            String url = envOr("BATON_URL", "http://127.0.0.1:8080");
            String token = System.getenv("BATON_WORKER_TOKEN");
            int slots = 8;
            for (int i = 0; i < args.length; i++) {
                String name = args[i];
                if (name.equals("--help") || name.equals("-h")) {
                    throw new IllegalArgumentException(USAGE);
                }
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("missing value for " + name + "\n" + USAGE);
                }
                String value = args[++i];
                switch (name) {
                    case "--url" -> url = value;
                    case "--worker-token" -> token = value;
                    case "--slots" -> slots = parseSlots(value);
                    default -> throw new IllegalArgumentException("unknown option " + name + "\n" + USAGE);
                }
            }
            if (token == null || token.isBlank()) {
                throw new IllegalArgumentException(
                        "a worker token is required (--worker-token or BATON_WORKER_TOKEN)\n" + USAGE);
            }
            return new Options(parseUrls(url), token, slots);
        }

        /** One URL, or several separated by commas (blanks around them ignored). */
        static List<URI> parseUrls(String value) {
            List<URI> urls = Arrays.stream(value.split(","))
                    .map(String::trim)
                    .filter(url -> !url.isEmpty())
                    .map(URI::create)
                    .toList();
            if (urls.isEmpty()) {
                throw new IllegalArgumentException("--url needs at least one URL, got '" + value + "'");
            }
            return urls;
        }

        private static int parseSlots(String value) {
            try {
                return Integer.parseInt(value);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--slots needs a number, got " + value);
            }
        }

        private static String envOr(String name, String fallback) {
            String value = System.getenv(name);
            return value == null || value.isBlank() ? fallback : value;
        }
    }

    static final String USAGE =
            "usage: ExampleWorker [--url <http base>[,<http base>…]] [--worker-token <token>] [--slots <n>]";

    private ExampleWorker() {}

    public static void main(String[] args) throws InterruptedException {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }

        // 1. Describe the worker: where the nodes are, its token (one environment's), how many
        //    executions it runs at once, and the tasks it serves. The builder validates eagerly.
        BatonWorker.Builder builder =
                BatonWorker.builder(options.urls(), options.workerToken()).slots(options.slots());
        for (Task<?, ?> task : ExampleTasks.all()) {
            builder.register(task);
        }
        BatonWorker worker = builder.build();

        // 2. Stop cleanly on SIGTERM/SIGINT: close() stops taking work, lets running handlers
        //    finish and sends their results, so no run has to wait for a lease to expire.
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            log.info("shutting down the example worker");
                            worker.close();
                            stopped.countDown();
                        },
                        "example-worker-shutdown"));

        // 3. Connect. start() returns at once; the worker connects in the background and keeps
        //    reconnecting with backoff if the node is down or restarts, so the order in which
        //    nodes and workers start does not matter.
        worker.start();
        log.info(
                "example worker {} connecting to {} with {} slots", worker.workerId(), options.urls(), options.slots());
        while (stopped.getCount() > 0) {
            if (worker.awaitConnected(Duration.ofSeconds(10))) {
                log.info("example worker connected");
                break;
            }
            log.info("still waiting for a Baton node at {}", options.urls());
        }

        // 4. Nothing else to do on this thread: handlers run on the worker's own threads.
        stopped.await();
    }
}
