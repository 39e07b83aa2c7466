package dev.baton.api.waitpoints;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * The waitpoint token routes' settings, from {@code baton.http} (see this module's {@code reference.conf}).
 *
 * @param publicUrl the base of callback URLs ({@code https://baton.example.com}); empty: the request's own
 *     scheme and Host header
 * @param accessTokenExpiresIn the lifetime of the public access token a create answers with
 */
record WaitpointSettings(long maxCreateBodySize, String publicUrl, Duration accessTokenExpiresIn) {

    static WaitpointSettings fromConfig(Config root) {
        Config http = root.getConfig("baton.http");
        String publicUrl = http.getString("public-url").strip();
        while (publicUrl.endsWith("/")) publicUrl = publicUrl.substring(0, publicUrl.length() - 1);
        return new WaitpointSettings(
                http.getBytes("waitpoints.max-create-body-size"),
                publicUrl,
                http.getDuration("waitpoints.public-access-token-expires-in"));
    }
}
