package dev.baton.api.runs;

import dev.baton.api.errors.ApiException;
import dev.baton.api.packets.PacketStore;
import dev.baton.engine.run.TriggerRequest;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Puts an uploaded packet into a trigger: a request whose payload is {@code application/store} (a packet
 * path, as the Trigger.dev SDK sends payloads of 128 KiB and more) gets the packet's content as its payload,
 * decoded like an inline one, so the run holds plain JSON and {@code runs.retrieve} returns it. A path with
 * no packet in the environment is a 422 before the engine is asked anything.
 */
public final class StoredPayloads {

    private final PacketStore packets;

    public StoredPayloads(PacketStore packets) {
        this.packets = packets;
    }

    /** The request itself when its payload is inline; otherwise the request with the packet's content. */
    public CompletionStage<TriggerRequest> resolve(String environmentId, TriggerRequest request) {
        if (!PayloadDecoder.STORE.equals(request.payloadType())) return CompletableFuture.completedFuture(request);
        String path = request.payloadJson();
        return packets.get(environmentId, path).thenApply(found -> {
            PacketStore.Packet packet = found.orElseThrow(() -> ApiException.unprocessable(
                    "Payload packet " + path + " was not found: upload it first (PUT /api/v2/packets/" + path + ")"));
            String payloadJson = PayloadDecoder.decodePacket(
                    new String(packet.data(), StandardCharsets.UTF_8), packet.contentType());
            return request.withPayload(payloadJson, PayloadDecoder.APPLICATION_JSON);
        });
    }
}
