package dev.baton.api.packets;

import static dev.baton.api.ApiTestServer.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import dev.baton.api.ApiTestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Packets as the Trigger.dev SDK uses them: presign, PUT the bytes to the signed URL without a key, trigger
 * with {@code application/store}; the run's payload is the packet's content, decoded. And every refusal.
 */
class PacketRoutesTest {

    private static final String KEY = "tr_dev_packets";
    private static final String OTHER_KEY = "tr_prod_packets";
    private static ApiTestServer server;
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        server = ApiTestServer.start(
                "PacketRoutesTest", ConfigFactory.parseString("baton.http.packets.max-size = 512k"));
        server.declareTask(server.environment("packets", "dev", KEY), "hello-world");
        server.environment("packets", "prod", OTHER_KEY);
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    private static JsonNode presign(String path) throws Exception {
        HttpResponse<String> response = server.send(
                "PUT",
                "/api/v2/packets/" + path,
                Map.of("Authorization", "Bearer " + KEY, "Content-Type", "application/json"),
                null);
        assertEquals(200, response.statusCode(), response.body());
        return json(response);
    }

    private static HttpResponse<String> upload(String url, String contentType, String body) throws Exception {
        return CLIENT.send(
                HttpRequest.newBuilder(URI.create(url))
                        .header("Content-Type", contentType)
                        .PUT(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> download(String url) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aLargeSuperJsonPayloadRoundTripsThroughAPacket() throws Exception {
        String big = "x".repeat(200 * 1024);
        String superJson = "{\"json\":{\"blob\":\"" + big + "\",\"when\":\"2026-01-01T00:00:00.000Z\"},"
                + "\"meta\":{\"values\":{\"when\":[\"Date\"]}}}";
        // The SDK encodes the path as one segment.
        JsonNode presigned = presign("trigger%2Fpacket_abc123%2Fpayload.json");
        assertEquals(
                "trigger/packet_abc123/payload.json",
                presigned.get("storagePath").asText());
        String url = presigned.get("presignedUrl").asText();
        assertTrue(url.startsWith("http://127.0.0.1:") && url.contains("/packets/") && url.contains("signature="), url);
        HttpResponse<String> uploaded = upload(url, "application/super+json", superJson);
        assertEquals(200, uploaded.statusCode(), uploaded.body());

        HttpResponse<String> triggered = server.post(
                "/api/v1/tasks/hello-world/trigger",
                KEY,
                "{\"payload\":\"trigger/packet_abc123/payload.json\",\"options\":{\"pay"
                        + "loadType\":\"application/store\","
                        + "\"payloadSize\":" + superJson.length() + "}}");
        assertEquals(200, triggered.statusCode(), triggered.body());
        JsonNode run = server.retrieve(json(triggered).get("id").asText(), KEY);
        assertEquals(big, run.get("payload").get("blob").asText());
        assertEquals("2026-01-01T00:00:00.000Z", run.get("payload").get("when").asText());
        assertFalse(run.get("payload").has("meta"));

        // The download presign (GET /api/v1/packets/…) serves the bytes back with their content type.
        HttpResponse<String> presignedGet = server.get("/api/v1/packets/trigger/packet_abc123/payload.json", KEY);
        assertEquals(200, presignedGet.statusCode(), presignedGet.body());
        assertFalse(json(presignedGet).has("storagePath"));
        HttpResponse<String> downloaded =
                download(json(presignedGet).get("presignedUrl").asText());
        assertEquals(200, downloaded.statusCode());
        assertEquals(superJson, downloaded.body());
        assertEquals(
                "application/super+json",
                downloaded.headers().firstValue("Content-Type").orElseThrow());
    }

    @Test
    void plainJsonAndTextPacketsAreDecodedByTheirContentType() throws Exception {
        upload(presign("trigger/packet_json/payload.json").get("presignedUrl").asText(), "application/json", "[1,2,3]");
        upload(presign("trigger/packet_text/payload.txt").get("presignedUrl").asText(), "text/plain", "just text");
        for (String[] expectation : new String[][] {
            {"trigger/packet_json/payload.json", "[1,2,3]"}, {"trigger/packet_text/payload.txt", "\"just text\""}
        }) {
            HttpResponse<String> triggered = server.post(
                    "/api/v1/tasks/hello-world/trigger",
                    KEY,
                    "{\"payload\":\"" + expectation[0] + "\",\"options\":{\"payloadType\":\"application/store\"}}");
            assertEquals(200, triggered.statusCode(), triggered.body());
            assertEquals(
                    expectation[1],
                    server.retrieve(json(triggered).get("id").asText(), KEY)
                            .get("payload")
                            .toString());
        }
    }

    @Test
    void signedUrlsAreCheckedAndPacketsBelongToTheirEnvironment() throws Exception {
        String url = presign("trigger/packet_signed/payload.json")
                .get("presignedUrl")
                .asText();
        assertEquals(
                403,
                upload(url.replaceAll("signature=[0-9a-f]+", "signature=00"), "application/json", "{}")
                        .statusCode());
        assertEquals(
                403,
                upload(url.replaceAll("expires=\\d+", "expires=1"), "application/json", "{}")
                        .statusCode());
        assertEquals(
                403,
                upload(url.replace("payload.json", "other.json"), "application/json", "{}")
                        .statusCode());
        assertEquals(
                403,
                upload(url.replaceAll("\\?.*$", ""), "application/json", "{}").statusCode());
        // An upload URL does not download, and a download of a missing packet is 404.
        assertEquals(403, download(url).statusCode());
        String getUrl = json(server.get("/api/v1/packets/trigger/packet_signed/payload.json", KEY))
                .get("presignedUrl")
                .asText();
        HttpResponse<String> missing = download(getUrl);
        assertEquals(404, missing.statusCode());
        assertEquals("{\"error\":\"Packet not found\"}", missing.body());

        // Another environment's trigger cannot name this environment's packet.
        assertEquals(200, upload(url, "application/json", "{\"secret\":true}").statusCode());
        server.declareTask(server.environment("packets", "prod", OTHER_KEY), "hello-world");
        HttpResponse<String> elsewhere = server.post(
                "/api/v1/tasks/hello-world/trigger",
                OTHER_KEY,
                "{\"payload\":\"trigger/packet_signed/payload.json\",\"options\":{\"pay"
                        + "loadType\":\"application/store\"}}");
        assertEquals(422, elsewhere.statusCode(), elsewhere.body());
    }

    @Test
    void refusals() throws Exception {
        assertEquals(
                401,
                server.send("PUT", "/api/v2/packets/a.json", Map.of(), null).statusCode());
        for (String bad : new String[] {"a%2F..%2Fb.json", "sp%20ace.json", "a//b.json"}) {
            HttpResponse<String> response =
                    server.send("PUT", "/api/v2/packets/" + bad, Map.of("Authorization", "Bearer " + KEY), null);
            assertEquals(400, response.statusCode(), bad + ": " + response.body());
            assertEquals(
                    "Invalid packet path: letters, digits, '.', '_', '-' and '/' only",
                    json(response).get("error").asText());
        }
        String url =
                presign("trigger/packet_big/payload.json").get("presignedUrl").asText();
        HttpResponse<String> tooLarge = upload(url, "application/json", "\"" + "y".repeat(600 * 1024) + "\"");
        assertEquals(413, tooLarge.statusCode());
        assertEquals(Set.of("error"), Set.copyOf(iterable(json(tooLarge))));
    }

    private static java.util.List<String> iterable(JsonNode node) {
        java.util.List<String> names = new java.util.ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
