package dev.baton.engine.dispatch;

import dev.baton.engine.environment.EnvironmentDirectory;
import dev.baton.engine.environment.EnvironmentSettings;
import dev.baton.engine.environment.EnvironmentSettingsStore;
import dev.baton.engine.environment.QueueSettings;
import dev.baton.engine.environment.QueueSettingsStore;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

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

    /** The settings stored in the directory's tables, read on {@code executor} (the queries block). */
    static EnvironmentSettingsSource stored(EnvironmentDirectory directory, Executor executor) {
        EnvironmentSettingsStore environments = new EnvironmentSettingsStore(directory);
        QueueSettingsStore queues = new QueueSettingsStore(directory);
        return new EnvironmentSettingsSource() {
            @Override
            public CompletionStage<EnvironmentSettings> load(String environmentId) {
                return CompletableFuture.supplyAsync(() -> environments.load(environmentId), executor);
            }

            @Override
            public CompletionStage<Map<String, QueueSettings>> loadQueues(String environmentId) {
                return CompletableFuture.supplyAsync(() -> queues.loadAll(environmentId), executor);
            }
        };
    }

    CompletionStage<EnvironmentSettings> load(String environmentId);

    /** The environment's overridden queues by name; a queue not named has its declared limits and is not paused. */
    CompletionStage<Map<String, QueueSettings>> loadQueues(String environmentId);
}
