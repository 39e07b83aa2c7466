package dev.baton.api.packets;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * {@code baton.http.packets}: the largest packet, how long a packet URL stays valid and how long its body
 * may take; and the public base URL the packet URLs start with ({@code baton.http.public-url}, empty for
 * the scheme and Host of the request that asked for the URL).
 */
public record PacketSettings(long maxSize, Duration urlExpiresIn, Duration bodyReadTimeout, String publicUrl) {

    public static PacketSettings fromConfig(Config root) {
        Config packets = root.getConfig("baton.http.packets");
        String publicUrl = root.hasPath("baton.http.public-url") ? root.getString("baton.http.public-url") : "";
        return new PacketSettings(
                packets.getBytes("max-size"),
                packets.getDuration("url-expires-in"),
                packets.getDuration("body-read-timeout"),
                publicUrl.endsWith("/") ? publicUrl.substring(0, publicUrl.length() - 1) : publicUrl);
    }
}
