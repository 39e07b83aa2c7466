package dev.baton.node;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Behaviors;
import com.typesafe.config.ConfigFactory;

/**
 * Starts a Baton node. Which configuration layer applies is chosen by the launcher
 * ({@code -Dconfig.resource=dev.conf} for {@code baton dev}, the default application.conf for
 * {@code baton server}); everything else is wired in {@link BatonNode#start}.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "baton", ConfigFactory.load());
    try {
      BatonNode.start(system);
    } catch (RuntimeException e) {
      system.log().error("Baton node failed to start: {}", e.getMessage(), e);
      system.terminate();
      System.exit(1);
    }
  }
}
