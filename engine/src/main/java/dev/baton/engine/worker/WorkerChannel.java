package dev.baton.engine.worker;

import akka.actor.typed.receptionist.ServiceKey;
import dev.baton.engine.common.CborSerializable;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The dispatch port: what the engine sends to a connected worker session. The worker gateway
 * implements it; the engine never knows how a worker is connected.
 */
public final class WorkerChannel {
    private WorkerChannel() {}

    /**
     * The id prefix ({@code <kind>_…}) of sessions whose task process stays alive across a wait: a trigger.dev CLI's.
     * Only an attempt such a session holds may be suspended by someone other than its worker (a child trigger naming
     * it as parent); any other worker would go on running an attempt the engine no longer knows.
     */
    public static final String KEEP_ALIVE_SESSION_KIND = "cli";

    /** True for the id of a session whose task process stays alive across a wait. */
    public static boolean keepsProcessAcrossWaits(String sessionId) {
        return sessionId != null && sessionId.startsWith(KEEP_ALIVE_SESSION_KIND + "_");
    }

    /** Every worker session registers under this key so a restarted dispatcher can find them again. */
    public static final ServiceKey<Message> SERVICE_KEY = ServiceKey.create(Message.class, "baton-worker-sessions");

    public interface Message extends CborSerializable {}

    /**
     * Run this attempt. Sent by the run when it takes the lease; the attempt is journaled with its outcome, so
     * a node that dies before then loses only the lease, and the run is offered again.
     *
     * @param steps the results of the run's durable operations so far, by key: the attempt returns
     *     them instead of running those operations again
     */
    public record Execute(
            String runId,
            String attemptId,
            int attemptNumber,
            String taskId,
            String queue,
            String environmentId,
            String payloadJson,
            String payloadType,
            List<String> tags,
            String metadataJson,
            String idempotencyKey,
            int maxAttempts,
            Instant createdAt,
            boolean test,
            Integer maxDurationSeconds,
            Map<String, StepResult> steps,
            String traceparent)
            implements Message {

        public Execute {
            steps = steps == null ? Map.of() : Map.copyOf(steps);
        }
    }

    /** Stop working on this attempt: the run was canceled or timed out. The attempt is over; its slot is free. */
    public record CancelAttempt(String runId, String attemptId, String reason) implements Message {}

    /** A dispatcher (re)started and lost its view of the workers: report yourself if you serve this environment. */
    public record Resync(String environmentId) implements Message {}
}
