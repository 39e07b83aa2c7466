package dev.baton.engine.dispatch;

import akka.actor.typed.receptionist.ServiceKey;
import dev.baton.engine.common.CborSerializable;

/**
 * The port to the run sweeper (the durable timer index's reader): a dispatcher that starts with
 * empty queues asks every sweeper to wake the environment's unfinished runs, which then enqueue or
 * re-register themselves.
 */
public final class RunSweep {
    private RunSweep() {}

    public static final ServiceKey<Request> SERVICE_KEY = ServiceKey.create(Request.class, "baton-run-sweepers");

    public interface Request extends CborSerializable {}

    public record SweepEnvironment(String environmentId) implements Request {}
}
