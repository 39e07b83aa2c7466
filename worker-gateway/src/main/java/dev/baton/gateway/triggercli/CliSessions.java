package dev.baton.gateway.triggercli;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Props;
import dev.baton.engine.Engine;
import dev.baton.engine.common.Ids;
import dev.baton.engine.task.TaskCatalog;
import dev.baton.engine.worker.WorkerChannel;
import dev.baton.gateway.envvars.VariableCache;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * This node's trigger.dev CLI sessions: one per environment (one {@code trigger.dev dev} at a time, as Trigger.dev's
 * dev environment belongs to one developer), and the environment's last registered background worker. A CLI that
 * polls again after its session left (it stopped polling for a while) gets a new session with that worker, so it
 * picks up again without rebuilding. Node-local: the CLI must keep talking to the node it registered with.
 */
final class CliSessions {

    /** A background worker as registered: the dequeue of a CLI names it as its current worker. */
    record Registration(String workerId, String version, long versionNumber, CliManifest.Declared declared) {}

    private record Live(ActorRef<CliSession.Command> session, Registration registration) {}

    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyyMMdd");

    private final ActorSystem<?> system;
    private final Engine engine;
    private final CliSession.Settings settings;
    private final VariableCache variables;
    private final Clock clock;
    private final Map<String, ActorRef<CliSession.Command>> sessions = new ConcurrentHashMap<>();
    private final Map<String, Registration> registrations = new ConcurrentHashMap<>();

    CliSessions(
            ActorSystem<?> system, Engine engine, CliSession.Settings settings, VariableCache variables, Clock clock) {
        this.system = system;
        this.engine = engine;
        this.settings = settings;
        this.variables = variables;
        this.clock = clock;
    }

    CliSession.Settings settings() {
        return settings;
    }

    /** Today (UTC) as a build version's day: {@code yyyyMMdd}. */
    String today() {
        return LocalDate.now(clock.withZone(ZoneOffset.UTC)).format(DAY);
    }

    /**
     * A new background worker for the environment (its tasks declared as {@code build}, the day's next version):
     * its session serves it from now on.
     */
    Registration register(
            CliWire.Context context,
            CliManifest.Declared declared,
            Map<String, String> taskTelemetry,
            TaskCatalog.Build build) {
        Registration registration = new Registration(Ids.newId("worker"), build.version(), build.number(), declared);
        registrations.put(context.environment().id(), registration);
        session(context, taskTelemetry)
                .tell(new CliSession.Register(registration.workerId(), build.version(), build.number(), declared));
        return registration;
    }

    /** The environment's live session. */
    Optional<ActorRef<CliSession.Command>> session(String environmentId) {
        return Optional.ofNullable(sessions.get(environmentId));
    }

    /**
     * The live session, or a new one for the CLI whose current worker is the environment's last registered one
     * (its session left while the CLI was away); empty for a worker this node does not know.
     */
    Optional<ActorRef<CliSession.Command>> resume(
            CliWire.Context context, String workerId, Map<String, String> taskTelemetry) {
        ActorRef<CliSession.Command> live = sessions.get(context.environment().id());
        if (live != null) return Optional.of(live);
        Registration last = registrations.get(context.environment().id());
        if (last == null || !last.workerId().equals(workerId)) return Optional.empty();
        ActorRef<CliSession.Command> session = session(context, taskTelemetry);
        session.tell(new CliSession.Register(last.workerId(), last.version(), last.versionNumber(), last.declared()));
        return Optional.of(session);
    }

    private ActorRef<CliSession.Command> session(CliWire.Context context, Map<String, String> taskTelemetry) {
        String environmentId = context.environment().id();
        return sessions.computeIfAbsent(environmentId, id -> {
            String sessionId = Ids.newId(WorkerChannel.KEEP_ALIVE_SESSION_KIND);
            ActorRef<CliSession.Command>[] self = new ActorRef[1];
            self[0] = system.systemActorOf(
                    CliSession.create(
                            engine,
                            settings,
                            context,
                            sessionId,
                            variables,
                            taskTelemetry,
                            clock,
                            () -> sessions.remove(environmentId, self[0])),
                    "trigger-cli-session-" + sessionId,
                    Props.empty());
            return self[0];
        });
    }
}
