package dev.baton.engine.dispatch;

import dev.baton.engine.environment.EnvironmentSettings;
import dev.baton.engine.environment.QueueSettings;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** Where a dispatcher reads its environment's and its queues' overrides (the node: the database; tests: none). */
public interface EnvironmentSettingsSource {

    EnvironmentSettingsSource DEFAULTS = new EnvironmentSettingsSource() {
        @Override
        public CompletionStage<EnvironmentSettings> load(String environmentId) {
            return CompletableFuture.completedFuture(EnvironmentSettings.DEFAULTS);
        }

        @Override
        public CompletionStage<Map<String, QueueSettings>> loadQueues(String environmentId) {
            return CompletableFuture.completedFuture(Map.of());
        }
    };

    CompletionStage<EnvironmentSettings> load(String environmentId);

    /** The environment's overridden queues by name; a queue not named has its declared limits and is not paused. */
    CompletionStage<Map<String, QueueSettings>> loadQueues(String environmentId);
}
