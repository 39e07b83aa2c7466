package dev.baton.projections.internal;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.DispatcherSelector;
import java.util.concurrent.Executor;

/** The dispatcher the read models' JDBC queries block on (see reference.conf), away from the actors' threads. */
public final class QueryDispatcher {

    public static final String NAME = "baton.projections.query-dispatcher";

    private QueryDispatcher() {}

    public static Executor lookup(ActorSystem<?> system) {
        return system.dispatchers().lookup(DispatcherSelector.fromConfig(NAME));
    }
}
