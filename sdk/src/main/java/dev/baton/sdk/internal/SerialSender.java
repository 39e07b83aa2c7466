package dev.baton.sdk.internal;

import java.net.http.WebSocket;
import java.util.concurrent.CompletableFuture;

/**
 * Sends on a {@link WebSocket} from any thread. java.net.http allows one outstanding send at a
 * time (a second one throws {@code IllegalStateException}), so every send is chained after the
 * previous one; a failed send does not block the ones after it.
 */
public final class SerialSender {

    private final WebSocket socket;
    private CompletableFuture<?> tail = CompletableFuture.completedFuture(null);

    public SerialSender(WebSocket socket) {
        this.socket = socket;
    }

    public synchronized CompletableFuture<Void> sendText(String text) {
        return enqueue(() -> socket.sendText(text, true));
    }

    /** Sends a close frame after everything already queued, so results go out before it. */
    public synchronized CompletableFuture<Void> sendClose(int statusCode, String reason) {
        return enqueue(() -> socket.sendClose(statusCode, reason));
    }

    private CompletableFuture<Void> enqueue(java.util.function.Supplier<CompletableFuture<WebSocket>> send) {
        CompletableFuture<Void> sent = tail.handle((ignored, previousFailure) -> null)
                .thenCompose(ignored -> send.get())
                .thenApply(ws -> null);
        tail = sent;
        return sent;
    }
}
