package dev.baton.api.dashboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.baton.api.ApiTestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The dashboard's files and sessions on H2 (the store of {@code baton dev}): index.html for every page's URL, the
 * assets with their cache headers, a 404 for what is not there, and a session that ends with its lifetime.
 * The browser test and the session's rules on PostgreSQL are DashboardBrowserTest (node).
 */
class DashboardRoutesTest {

    private static final String KEY = "tr_dev_sk_dashboardroutes0123456";
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static ApiTestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = ApiTestServer.start(
                "dashboard-routes",
                ConfigFactory.parseMap(Map.of(
                        "baton.http.dashboard.session-lifetime",
                        "2s",
                        "baton.http.dashboard.sign-in-throttle.burst",
                        3,
                        "baton.http.dashboard.sign-in-throttle.refill",
                        1,
                        "baton.http.dashboard.sign-in-throttle.interval",
                        "1h",
                        "baton.http.dashboard.sign-in-throttle.use-forwarded-for",
                        true)));
        server.environment("proj_dashboard", "dev", KEY);
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) server.close();
    }

    @Test
    void everyPageUrlIsTheIndexAndTheAssetsCarryCacheHeaders() throws Exception {
        for (String page : new String[] {
            "/",
            "/runs",
            "/runs/",
            "/runs/run_abc",
            "/sign-in",
            "/workers",
            "/schedules",
            "/tokens",
            "/batches",
            "/batches/batch_abc",
            "/projects"
        }) {
            HttpResponse<String> index = send("GET", page, null, Map.of());
            assertEquals(200, index.statusCode(), page);
            assertTrue(index.headers().firstValue("content-type").orElse("").startsWith("text/html"), page);
            assertTrue(index.body().contains("importmap"), page);
            assertEquals("no-cache", index.headers().firstValue("cache-control").orElse(""), page);
        }
        HttpResponse<String> app = send("GET", "/assets/app.js", null, Map.of());
        assertEquals(200, app.statusCode());
        assertTrue(app.headers().firstValue("content-type").orElse("").contains("javascript"), "a module's type");
        assertEquals("no-cache", app.headers().firstValue("cache-control").orElse(""));
        HttpResponse<String> vendored = send("GET", "/assets/vendor/preact-10.29.8.module.js", null, Map.of());
        assertEquals(200, vendored.statusCode());
        assertTrue(vendored.headers().firstValue("cache-control").orElse("").contains("immutable"));

        HttpResponse<String> missing = send("GET", "/assets/missing.js", null, Map.of());
        assertEquals(404, missing.statusCode());
        assertTrue(missing.body().startsWith("{\"error\""), missing.body());
        assertEquals(404, send("GET", "/runs/a/b", null, Map.of()).statusCode(), "no page has this URL");
        assertEquals(404, send("GET", "/workers/w_1", null, Map.of()).statusCode(), "no page has this URL");
        assertEquals(401, send("GET", "/api/v1/workers", null, Map.of()).statusCode(), "the API is not a page");
        assertEquals(401, send("GET", "/api/v1/batches", null, Map.of()).statusCode(), "the API is not a page");
        assertEquals(401, send("GET", "/api/v1/runs", null, Map.of()).statusCode(), "the API is not a page");
        assertEquals(
                405,
                send("GET", "/api/v2/runs/run_x/cancel", null, Map.of()).statusCode(),
                "the pages' GET routes leave an API route's wrong method a 405");
    }

    @Test
    void aSessionEndsWithItsLifetime() throws Exception {
        HttpResponse<String> signedIn =
                send("POST", "/dashboard/session", "{\"token\":\"" + KEY + "\"}", Map.of("x-baton-csrf", "1"));
        assertEquals(200, signedIn.statusCode(), signedIn.body());
        String setCookie = signedIn.headers().firstValue("set-cookie").orElseThrow();
        assertTrue(setCookie.contains("Max-Age=2"), setCookie);
        Map<String, String> cookie = Map.of("cookie", setCookie.substring(0, setCookie.indexOf(';')));
        assertEquals(200, send("GET", "/api/v1/runs", null, cookie).statusCode());
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (send("GET", "/api/v1/runs", null, cookie).statusCode() != 401) {
            assertTrue(System.nanoTime() < deadline, "the session outlived its lifetime");
            Thread.sleep(200);
        }
        assertEquals(
                "{\"signedIn\":false}",
                send("GET", "/dashboard/session", null, cookie).body().replace(" ", ""));
    }

    @Test
    void anAddressThatFailedToSignInTooOftenIsRefusedEvenWithTheRightKey() throws Exception {
        Map<String, String> guesser = Map.of("x-baton-csrf", "1", "x-forwarded-for", "203.0.113.7, 10.0.0.1");
        for (int attempt = 0; attempt < 3; attempt++) {
            HttpResponse<String> wrong =
                    send("POST", "/dashboard/session", "{\"token\":\"tr_dev_sk_wrong" + attempt + "\"}", guesser);
            assertEquals(401, wrong.statusCode(), wrong.body());
        }
        HttpResponse<String> refused = send("POST", "/dashboard/session", "{\"token\":\"" + KEY + "\"}", guesser);
        assertEquals(429, refused.statusCode(), refused.body());
        assertTrue(refused.body().contains("Too many failed sign-ins"), refused.body());
        long retryAfter =
                Long.parseLong(refused.headers().firstValue("retry-after").orElseThrow());
        assertTrue(retryAfter > 0 && retryAfter <= 3600, "retry-after " + retryAfter);

        Map<String, String> someoneElse = Map.of("x-baton-csrf", "1", "x-forwarded-for", "203.0.113.8");
        assertEquals(
                200,
                send("POST", "/dashboard/session", "{\"token\":\"" + KEY + "\"}", someoneElse)
                        .statusCode(),
                "another address is not held back");
    }

    private static HttpResponse<String> send(String method, String path, String body, Map<String, String> headers)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body));
        headers.forEach(request::header);
        if (body != null) request.header("content-type", "application/json");
        return HTTP.send(request.build(), BodyHandlers.ofString());
    }
}
