package dev.baton.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigValueFactory;
import java.time.Duration;
import java.util.Map;

/**
 * The CLI's defaults from {@code baton.cli} in reference.conf. Its {@code ${?VAR}} overrides are resolved against
 * the invocation's environment variables, not the process's, so a test can set them.
 */
record CliDefaults(
        String defaultUrl,
        String devDataDir,
        String devProject,
        String devEnvironment,
        Duration connectTimeout,
        Duration requestTimeout,
        Duration tailInterval) {

    static CliDefaults load(Map<String, String> env) {
        Config config = ConfigFactory.parseResources(CliDefaults.class.getClassLoader(), "reference.conf")
                .withOnlyPath("baton.cli")
                // Environment variables as root keys (keys, not paths) that ${?VAR} finds; the process's are not asked.
                .withFallback(ConfigValueFactory.fromMap(env).toConfig())
                .resolve(ConfigResolveOptions.noSystem())
                .getConfig("baton.cli");
        return new CliDefaults(
                config.getString("default-url"),
                config.getString("dev-data-dir"),
                config.getString("dev-project"),
                config.getString("dev-environment"),
                config.getDuration("connect-timeout"),
                config.getDuration("request-timeout"),
                config.getDuration("tail-interval"));
    }
}
