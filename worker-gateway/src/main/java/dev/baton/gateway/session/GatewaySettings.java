package dev.baton.gateway.session;

import com.typesafe.config.Config;
import java.time.Duration;

/** The worker gateway's settings, from {@code baton.gateway} (see reference.conf for what each means). */
public record GatewaySettings(
        Duration reportInterval,
        int maxSlots,
        int maxMessageSize,
        Duration helloTimeout,
        Duration messageReadTimeout,
        int sendBufferSize,
        Duration tokenRecheckInterval) {

    public static GatewaySettings fromConfig(Config gateway) {
        long maxMessageSize = gateway.getBytes("max-message-size");
        if (maxMessageSize < 1 || maxMessageSize > Integer.MAX_VALUE)
            throw new IllegalArgumentException("baton.gateway.max-message-size out of range: " + maxMessageSize);
        return new GatewaySettings(
                gateway.getDuration("report-interval"),
                gateway.getInt("max-slots"),
                (int) maxMessageSize,
                gateway.getDuration("hello-timeout"),
                gateway.getDuration("message-read-timeout"),
                gateway.getInt("send-buffer-size"),
                gateway.getDuration("token-recheck-interval"));
    }
}
