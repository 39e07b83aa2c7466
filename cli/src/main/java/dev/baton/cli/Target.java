package dev.baton.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * The node a command talks to, the token it shows, and the project and environment it names (either may be null).
 * Each is looked up on its own, first found wins: the flag; the environment variable (BATON_URL, BATON_TOKEN,
 * BATON_PROJECT, BATON_ENV); the config file ({@code $BATON_CONFIG}, else {@code $XDG_CONFIG_HOME/baton/
 * config.properties}, else {@code ~/.config/baton/config.properties}; keys url, token, project, env); then what
 * {@code ./baton dev} leaves: its data folder's {@code admin-token}, its URL, and its project and environment.
 */
record Target(String url, String token, String project, String environment) {

    static final String CONFIG_FILE_NAME = "config.properties";
    static final String DEV_CREDENTIALS_FILE = "credentials.properties";
    static final String DEV_TOKEN_KEY = "admin-token";

    static Target resolve(
            Invocation invocation,
            CliDefaults defaults,
            String urlFlag,
            String tokenFlag,
            String projectFlag,
            String environmentFlag) {
        Properties config = configFile(invocation);
        Properties dev = devCredentials(invocation, defaults);
        String configuredToken = first(tokenFlag, invocation.env("BATON_TOKEN"), blankless(config, "token"));
        String devToken = blankless(dev, DEV_TOKEN_KEY);
        boolean devNode = configuredToken == null && devToken != null;
        String url = first(urlFlag, invocation.env("BATON_URL"), blankless(config, "url"), defaults.defaultUrl());
        String project = first(projectFlag, invocation.env("BATON_PROJECT"), blankless(config, "project"));
        String environment = first(environmentFlag, invocation.env("BATON_ENV"), blankless(config, "env"));
        if (devNode) {
            project = first(project, defaults.devProject());
            environment = first(environment, defaults.devEnvironment());
        }
        return new Target(stripTrailingSlash(url), devNode ? devToken : configuredToken, project, environment);
    }

    /** The config file in use, or null when there is none. */
    static Path configPath(Invocation invocation) {
        String explicit = invocation.env("BATON_CONFIG");
        if (explicit != null) return invocation.path(explicit);
        String xdg = invocation.env("XDG_CONFIG_HOME");
        Path base = xdg != null ? invocation.path(xdg) : invocation.homeDir().resolve(".config");
        return base.resolve("baton").resolve(CONFIG_FILE_NAME);
    }

    private static Properties configFile(Invocation invocation) {
        Path path = configPath(invocation);
        if (invocation.env("BATON_CONFIG") != null && !Files.isRegularFile(path)) {
            throw new CliFailure("BATON_CONFIG names " + path + ", which is not a readable file");
        }
        return load(path);
    }

    private static Properties devCredentials(Invocation invocation, CliDefaults defaults) {
        return load(invocation.path(defaults.devDataDir()).resolve(DEV_CREDENTIALS_FILE));
    }

    private static Properties load(Path path) {
        Properties properties = new Properties();
        if (!Files.isRegularFile(path)) return properties;
        try (Reader reader = Files.newBufferedReader(path)) {
            properties.load(reader);
        } catch (IOException e) {
            throw new CliFailure("cannot read " + path + ": " + e.getMessage(), e);
        }
        return properties;
    }

    private static String blankless(Properties properties, String key) {
        String value = properties.getProperty(key);
        return value == null || value.isBlank() ? null : value.strip();
    }

    private static String first(String... candidates) {
        for (String candidate : candidates) {
            if (candidate != null && !candidate.isBlank()) return candidate;
        }
        return null;
    }

    private static String stripTrailingSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }
}
