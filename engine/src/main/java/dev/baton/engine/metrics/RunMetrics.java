package dev.baton.engine.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/**
 * What runs do, counted by the node that hosts each run (a run lives on one node at a time, so summing the nodes'
 * series gives the cluster's): triggered, started, finished by final status, how long each waited in its queue and
 * how long each attempt took. Tagged by environment id and task; the run's own id never becomes a tag.
 */
public final class RunMetrics {

    /** Seconds: the histograms' buckets, from a hot queue's milliseconds to a long task's minutes. */
    private static final Duration[] BUCKETS = {
        Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
        Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
        Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30),
        Duration.ofMinutes(1), Duration.ofMinutes(5), Duration.ofMinutes(15), Duration.ofHours(1)
    };

    private final MeterRegistry registry;

    RunMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    public void triggered(String environmentId, String taskId) {
        counter(
                        "baton.runs.triggered",
                        "Runs created by a trigger, a batch item, a schedule or a parent run",
                        environmentId,
                        taskId)
                .increment();
    }

    /** A worker started an attempt, {@code waited} after the run entered its queue (trigger, delay's end, retry). */
    public void attemptStarted(String environmentId, String taskId, int attemptNumber, Duration waited) {
        if (attemptNumber == 1) {
            counter("baton.runs.started", "Runs whose first attempt a worker started", environmentId, taskId)
                    .increment();
        }
        Timer.builder("baton.runs.queue.wait")
                .description(
                        "From entering the queue (trigger, end of a delay, retry) to a worker starting the attempt")
                .tags("environment", environmentId, "task", taskId)
                .serviceLevelObjectives(BUCKETS)
                .register(registry)
                .record(waited);
    }

    /** An attempt a worker had started ended: {@code outcome} is succeeded, failed, suspended or canceled. */
    public void attemptEnded(String environmentId, String taskId, String outcome, Duration took) {
        Timer.builder("baton.attempts.duration")
                .description("How long started attempts ran, by outcome")
                .tags("environment", environmentId, "task", taskId, "outcome", outcome)
                .serviceLevelObjectives(BUCKETS)
                .register(registry)
                .record(took);
    }

    /** The run reached a final status (COMPLETED, FAILED, CANCELED, EXPIRED, TIMED_OUT, CRASHED, SYSTEM_FAILURE). */
    public void finished(String environmentId, String taskId, String status) {
        Counter.builder("baton.runs.finished")
                .description("Runs that reached a final status")
                .tags("environment", environmentId, "task", taskId, "status", status)
                .register(registry)
                .increment();
    }

    private Counter counter(String name, String description, String environmentId, String taskId) {
        return Counter.builder(name)
                .description(description)
                .tags("environment", environmentId, "task", taskId)
                .register(registry);
    }
}
