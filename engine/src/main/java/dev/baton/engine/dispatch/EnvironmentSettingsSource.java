package dev.baton.engine.dispatch;

import dev.baton.engine.environment.EnvironmentSettings;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** Where a dispatcher reads its environment's overrides (the node: the database; tests: none). */
@FunctionalInterface
public interface EnvironmentSettingsSource {

    EnvironmentSettingsSource DEFAULTS =
            environmentId -> CompletableFuture.completedFuture(EnvironmentSettings.DEFAULTS);

    CompletionStage<EnvironmentSettings> load(String environmentId);
}
