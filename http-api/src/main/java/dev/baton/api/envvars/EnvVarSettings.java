package dev.baton.api.envvars;

import com.typesafe.config.Config;

/** {@code baton.http.envvars}: the limits of the environment variables API. */
record EnvVarSettings(int maxNameLength, long maxValueSize, int maxImportVariables) {

    static EnvVarSettings fromConfig(Config root) {
        Config envvars = root.getConfig("baton.http.envvars");
        return new EnvVarSettings(
                envvars.getInt("max-name-length"),
                envvars.getBytes("max-value-size"),
                envvars.getInt("max-import-variables"));
    }
}
