package dev.baton.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.baton.api.auth.Authentication;
import dev.baton.engine.changes.RunChanged;
import dev.baton.sdk.client.BatonClient;
import dev.baton.sdk.client.RunStatus;
import dev.baton.sdk.client.TriggerOptions;
import dev.baton.sdk.client.TriggerResult;
import dev.baton.sdk.client.WaitpointTokenOptions;
import dev.baton.sdk.task.ChildResult;
import dev.baton.sdk.task.RetryPolicy;
import dev.baton.sdk.task.Task;
import dev.baton.sdk.task.TokenResult;
import dev.baton.sdk.worker.BatonWorker;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;

/**
 * The dashboard in a real headless Chromium against a real node (PostgreSQL) with a Java SDK worker: sign in with the
 * secret key, see a run triggered over the API complete on the Runs page, its output and event history on the Run
 * page, cancel a delayed run there (the API then reports it canceled), and a phone-sized Runs page that does not
 * overflow. Every page is checked for console errors and photographed into target/dashboard-screenshots/. The
 * session's rules (cookie flags, the CSRF header, sign-out, a revoked key, a personal access token's environment)
 * are checked over plain HTTP against the same node.
 *
 * <p>Chromium and chromedriver come from Debian's packages (./scripts/test installs them and sets
 * BATON_TEST_CHROMIUM). Like the ClickHouse tests: when that variable is set and the browser is not there the test
 * fails; when it is not set and no browser is installed, it is skipped with a message saying so.
 */
class DashboardBrowserTest {

    private static final String ADMIN_TOKEN = "tr_pat_dashboard_test_admin_token_0123456789";
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CSRF = "x-baton-csrf";
    private static final String CHROMIUM_VARIABLE = "BATON_TEST_CHROMIUM";
    private static final String CHROMEDRIVER_VARIABLE = "BATON_TEST_CHROMEDRIVER";
    private static final Path SCREENSHOTS = Path.of("target", "dashboard-screenshots");
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    private static BatonNode node;
    private static BatonWorker worker;
    private static ChromeDriver browser;
    private static String base;

    @BeforeAll
    static void start() throws IOException {
        File chromium = executable(CHROMIUM_VARIABLE, "/usr/bin/chromium");
        File chromedriver = executable(CHROMEDRIVER_VARIABLE, "/usr/bin/chromedriver");
        node = TestNodes.start(
                "dashboard",
                ConfigFactory.parseMap(Map.of("baton.bootstrap.admin-token", ADMIN_TOKEN))
                        .withFallback(TestNodes.postgresConfig(TestNodes.freshPostgresSchema("dashboard"))));
        base = HappyPathScenario.url(node).toString();
        Task<Map, Map> greet = Task.<Map, Map>define(
                        "greet", Map.class, (payload, ctx) -> Map.of("greeting", "hello " + payload.get("name")))
                .build();
        worker = BatonWorker.builder(HappyPathScenario.url(node), TestNodes.WORKER_TOKEN)
                .slots(2)
                .register(greet)
                .build();
        worker.start();
        assertTrue(worker.awaitConnected(PATIENCE), "the worker connects");

        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium);
        // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
        options.addArguments(
                "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,800", "--lang=en-US");
        options.setCapability("goog:loggingPrefs", Map.of(LogType.BROWSER, "ALL"));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(chromedriver)
                .usingAnyFreePort()
                .build();
        browser = new ChromeDriver(service, options);
        Files.createDirectories(SCREENSHOTS);
    }

    @AfterAll
    static void stop() {
        if (browser != null) browser.quit();
        if (worker != null) worker.close();
        if (node != null) TestNodes.stop(node);
    }

    @Test
    void signInSeeRunsAndARunAndCancelADelayedRun() throws Exception {
        BatonClient client = HappyPathScenario.client(node);

        browser.get(base + "/");
        WebElement token = await(By.name("token"));
        assertNoConsoleErrors("sign-in");
        screenshot("sign-in");
        token.sendKeys(TestNodes.SECRET_KEY);
        browser.findElement(By.cssSelector("#sign-in button[type=submit]")).click();
        await(By.id("runs"));
        assertEquals(base + "/runs", browser.getCurrentUrl(), "signing in opens the Runs page");
        assertTrue(
                browser.findElement(By.id("identity"))
                        .getText()
                        .equals(node.credentials().environment().projectRef() + " / "
                                + node.credentials().environment().slug()),
                "the header names the key's environment");

        String completed = client.trigger(
                        "greet",
                        Map.of("name", "dashboard"),
                        TriggerOptions.builder().tags("from-browser-test").build())
                .id();
        By completedRow = By.cssSelector("tr[data-run-id='" + completed + "']");
        until("the Runs page shows the run COMPLETED", () -> {
            browser.findElement(By.id("refresh")).click();
            List<WebElement> rows = browser.findElements(completedRow);
            return !rows.isEmpty() && rows.get(0).getText().contains("COMPLETED");
        });
        assertTrue(browser.findElement(completedRow).getText().contains("from-browser-test"), "its tag is listed");
        assertNoConsoleErrors("runs");
        screenshot("runs");

        // Filters live in the URL: a shared link shows the same view, here one that leaves the run out.
        browser.get(base + "/runs?status=FAILED");
        await(By.id("runs"));
        until(
                "the filtered page has loaded",
                () -> browser.findElement(By.id("runs")).getText().contains("No runs"));
        assertTrue(browser.findElements(completedRow).isEmpty(), "a COMPLETED run is not among the FAILED ones");
        assertEquals("FAILED", browser.findElement(By.name("status")).getAttribute("value"));
        assertNoConsoleErrors("runs filtered");

        browser.get(base + "/runs");
        await(completedRow).findElement(By.tagName("a")).click();
        WebElement output = await(By.id("run-output"));
        assertEquals(base + "/runs/" + completed, browser.getCurrentUrl(), "a run's page has its own URL");
        assertTrue(output.getText().contains("hello dashboard"), "the output: " + output.getText());
        assertTrue(browser.findElement(By.id("run-payload")).getText().contains("dashboard"));
        assertEquals("COMPLETED", browser.findElement(By.id("run-status")).getText());
        assertFalse(browser.findElements(By.cssSelector("tr[data-event-type=RunTriggered]"))
                .isEmpty());
        assertFalse(browser.findElements(By.cssSelector("tr[data-event-type=RunSucceeded]"))
                .isEmpty());
        assertTrue(browser.findElement(By.id("attempts")).getText().contains("RunSucceeded"), "its one attempt");
        assertNoConsoleErrors("run");
        screenshot("run");

        browser.findElement(By.id("replay")).click();
        until("Replay opens the new run", () -> !browser.getCurrentUrl().endsWith(completed));
        String replayed = browser.getCurrentUrl().substring((base + "/runs/").length());
        until("the replayed run completes", () -> {
            browser.findElement(By.id("refresh")).click();
            return browser.findElement(By.id("run-status")).getText().equals("COMPLETED");
        });
        assertTrue(browser.findElement(By.id("run-output")).getText().contains("hello dashboard"), "same payload");
        assertTrue(browser.findElement(By.cssSelector("tr[data-event-type=RunTriggered]"))
                .getText()
                .contains("RunTriggered"));
        assertEquals(RunStatus.COMPLETED, client.retrieve(replayed).status());
        assertNoConsoleErrors("replayed run");

        String delayed = client.trigger(
                        "greet",
                        Map.of("name", "later"),
                        TriggerOptions.builder().delay("1h").build())
                .id();
        browser.get(base + "/runs/" + delayed);
        await(By.id("cancel")).click();
        until(
                "the Run page shows the run CANCELED",
                () -> browser.findElement(By.id("run-status")).getText().equals("CANCELED"));
        assertEquals(RunStatus.CANCELED, client.retrieve(delayed).status(), "the API reports it canceled");
        assertTrue(browser.findElements(By.id("cancel")).isEmpty(), "a finished run offers no cancel");
        assertNoConsoleErrors("canceled run");
        screenshot("run-canceled");

        // A phone: the Runs page fits the viewport's width (the table scrolls inside its own box).
        browser.manage().window().setSize(new Dimension(390, 844));
        browser.get(base + "/runs");
        await(completedRow);
        long overflow = (Long) browser.executeScript(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth;");
        assertEquals(0L, overflow, "the page does not scroll sideways on a phone");
        assertNoConsoleErrors("runs on a phone");
        screenshot("runs-phone");
        browser.manage().window().setSize(new Dimension(1280, 800));

        browser.findElement(By.id("sign-out")).click();
        await(By.name("token"));
        browser.get(base + "/runs");
        await(By.name("token"));
        assertNoConsoleErrors("signed out");

        // A personal access token picks one of its user's environments, then sees its runs.
        browser.findElement(By.name("token")).sendKeys(ADMIN_TOKEN);
        browser.findElement(By.cssSelector("#sign-in button[type=submit]")).click();
        String environment = node.credentials().environment().projectRef() + "/"
                + node.credentials().environment().slug();
        await(By.cssSelector("#environment option[value='" + environment + "']"))
                .click();
        await(completedRow);
        assertNoConsoleErrors("runs of a personal access token");
        screenshot("runs-personal-access-token");
        browser.findElement(By.id("sign-out")).click();
        await(By.name("token"));
    }

    @Test
    void aSessionCookieActsAsItsKeyOnlyWithTheCsrfHeaderForChanges() throws Exception {
        String body = "{\"token\":\"" + TestNodes.SECRET_KEY + "\"}";
        assertEquals(403, send("POST", "/dashboard/session", body, Map.of()).statusCode(), "no CSRF header");
        assertEquals(
                401,
                send("POST", "/dashboard/session", "{\"token\":\"tr_dev_sk_wrong\"}", Map.of(CSRF, "1"))
                        .statusCode());
        assertEquals(
                400,
                send("POST", "/dashboard/session", "{\"token\":\"x\",\"more\":1}", Map.of(CSRF, "1"))
                        .statusCode());

        HttpResponse<String> signedIn = send("POST", "/dashboard/session", body, Map.of(CSRF, "1"));
        assertEquals(200, signedIn.statusCode(), signedIn.body());
        String setCookie = signedIn.headers().firstValue("set-cookie").orElseThrow();
        assertTrue(setCookie.startsWith("baton_session="), setCookie);
        for (String flag : List.of("HttpOnly", "SameSite=Strict", "Path=/")) {
            assertTrue(setCookie.contains(flag), "the cookie has " + flag + ": " + setCookie);
        }
        assertFalse(setCookie.contains("Secure"), "not Secure over plain http: " + setCookie);
        Map<String, String> cookie = Map.of("cookie", setCookie.substring(0, setCookie.indexOf(';')));
        assertEquals(
                node.credentials().environment().projectRef(),
                JSON.readTree(send("GET", "/dashboard/session", null, cookie).body())
                        .at("/environment/projectRef")
                        .asText());

        assertEquals(200, send("GET", "/api/v1/runs", null, cookie).statusCode(), "the cookie reads the runs");
        String delayed = HappyPathScenario.client(node)
                .trigger("greet", Map.of(), TriggerOptions.builder().delay("1h").build())
                .id();
        HttpResponse<String> forged = send("POST", "/api/v2/runs/" + delayed + "/cancel", null, cookie);
        assertEquals(403, forged.statusCode(), "a change by cookie without the CSRF header: " + forged.body());
        assertEquals(
                RunStatus.DELAYED,
                HappyPathScenario.client(node).retrieve(delayed).status());
        Map<String, String> withCsrf = Map.of(
                cookie.keySet().iterator().next(), cookie.values().iterator().next(), CSRF, "1");
        assertEquals(
                200,
                send("POST", "/api/v2/runs/" + delayed + "/cancel", null, withCsrf)
                        .statusCode());
        assertEquals(
                RunStatus.CANCELED,
                HappyPathScenario.client(node).retrieve(delayed).status());
        assertEquals(401, send("GET", "/api/v1/projects", null, cookie).statusCode(), "a key opens no management");

        HttpResponse<String> overHttps =
                send("POST", "/dashboard/session", body, Map.of(CSRF, "1", "x-forwarded-proto", "https"));
        assertTrue(overHttps.headers().firstValue("set-cookie").orElseThrow().contains("Secure"), "Secure over https");

        assertEquals(200, send("DELETE", "/dashboard/session", null, withCsrf).statusCode());
        assertEquals(401, send("GET", "/api/v1/runs", null, cookie).statusCode(), "signed out on every node");
        assertFalse(
                JSON.readTree(send("GET", "/dashboard/session", null, cookie).body())
                        .get("signedIn")
                        .asBoolean());
    }

    @Test
    void aPersonalAccessTokenSessionNamesItsEnvironmentAndEndsWithARevokedKey() throws Exception {
        Map<String, String> cookie = signIn(ADMIN_TOKEN);
        HttpResponse<String> projects = send("GET", "/api/v1/projects", null, cookie);
        assertEquals(200, projects.statusCode(), projects.body());
        String ref = node.credentials().environment().projectRef();
        assertTrue(projects.body().contains(ref), projects.body());
        assertEquals(400, send("GET", "/api/v1/runs", null, cookie).statusCode(), "no environment named");
        Map<String, String> named = Map.of(
                "cookie",
                cookie.get("cookie"),
                Authentication.ENVIRONMENT_HEADER,
                ref + "/" + node.credentials().environment().slug());
        assertEquals(200, send("GET", "/api/v1/runs", null, named).statusCode());

        // A session made from a key that is revoked afterwards opens nothing (within the credential cache's second).
        Map<String, String> management =
                Map.of("authorization", "Bearer " + ADMIN_TOKEN, "content-type", "application/json");
        JsonNode key = JSON.readTree(send(
                        "POST",
                        "/api/v1/projects/" + ref + "/environments/"
                                + node.credentials().environment().slug() + "/keys",
                        "{}",
                        management)
                .body());
        Map<String, String> keySession = signIn(key.get("key").asText());
        assertEquals(200, send("GET", "/api/v1/runs", null, keySession).statusCode());
        assertEquals(
                200,
                send(
                                "DELETE",
                                "/api/v1/projects/" + ref + "/environments/"
                                        + node.credentials().environment().slug() + "/keys/"
                                        + key.get("id").asText(),
                                null,
                                management)
                        .statusCode());
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (send("GET", "/api/v1/runs", null, keySession).statusCode() != 401) {
            assertTrue(System.nanoTime() < deadline, "the revoked key's session still opens the runs");
            Thread.sleep(200);
        }
    }

    @Test
    void theAnalyticsPageChartsRunsFromClickHouse() throws Exception {
        // This class's node has no ClickHouse: the API says so, and the header offers no Analytics page.
        Map<String, String> bearer = Map.of("authorization", "Bearer " + TestNodes.SECRET_KEY);
        HttpResponse<String> off = send("GET", "/api/v1/analytics", null, bearer);
        assertEquals(200, off.statusCode(), off.body());
        assertFalse(JSON.readTree(off.body()).get("enabled").asBoolean(), off.body());
        assertEquals(404, send("GET", "/api/v1/analytics/tasks", null, bearer).statusCode());
        browser.get(base + "/analytics");
        await(By.name("token")).sendKeys(TestNodes.SECRET_KEY);
        browser.findElement(By.cssSelector("#sign-in button[type=submit]")).click();
        assertTrue(await(By.id("analytics-off")).getText().contains("ClickHouse is not configured"));
        assertTrue(browser.findElements(By.id("nav-analytics")).isEmpty(), "no Analytics link without ClickHouse");
        assertNoConsoleErrors("analytics off");
        browser.findElement(By.id("sign-out")).click();
        await(By.name("token"));

        // A second node, with ClickHouse (the test is skipped without one), and runs that succeed and fail.
        Config config = ClickHouseServers.withClickHouse(
                TestNodes.postgresConfig(TestNodes.freshPostgresSchema("dashboard_analytics")),
                ClickHouseServers.url(),
                ClickHouseServers.freshDatabase("baton_dashboard"),
                "baton.clickhouse.group-after-duration = 200ms");
        BatonNode analyticsNode = TestNodes.start("dashboard-analytics", config);
        // "localhost", not 127.0.0.1: its own cookies, so this node's session never replaces the other node's.
        String analyticsBase = "http://localhost:" + analyticsNode.httpPort();
        try (BatonWorker examples = HappyPathScenario.worker(analyticsNode, 4);
                ClickHouseServers.Reader clickHouse = ClickHouseServers.reader(config)) {
            BatonClient client = HappyPathScenario.client(analyticsNode);
            List<String> runs = new java.util.ArrayList<>();
            for (int i = 0; i < 6; i++)
                runs.add(client.trigger("hello-world", Map.of("name", "n" + i)).id());
            for (int ms : List.of(80, 160, 240))
                runs.add(client.trigger("sleep", Map.of("ms", ms)).id());
            for (int i = 0; i < 2; i++)
                runs.add(client.trigger("fail", Map.of("message", "no " + i)).id());
            for (String id : runs) assertTrue(client.poll(id, PATIENCE).status().isFinal(), id);
            HttpRequest tasks = HttpRequest.newBuilder(URI.create(analyticsBase + "/api/v1/analytics/tasks?period=1h"))
                    .header("authorization", "Bearer " + TestNodes.SECRET_KEY)
                    .build();
            until("the sink has delivered all 11 runs", () -> {
                try {
                    long finished = 0;
                    for (JsonNode row : JSON.readTree(
                                    HTTP.send(tasks, BodyHandlers.ofString()).body())
                            .get("data")) {
                        finished += row.get("finished").asLong();
                    }
                    return finished == 11;
                } catch (Exception e) {
                    return false;
                }
            });

            browser.get(analyticsBase + "/runs");
            await(By.name("token")).sendKeys(TestNodes.SECRET_KEY);
            browser.findElement(By.cssSelector("#sign-in button[type=submit]")).click();
            await(By.id("nav-analytics")).click();
            await(By.cssSelector("#chart-throughput svg"));
            assertEquals(analyticsBase + "/analytics", browser.getCurrentUrl());
            By failRow = By.cssSelector("#analytics-tasks tr[data-task=fail]");
            assertEquals(
                    "2",
                    await(failRow)
                            .findElement(By.cssSelector("[data-field=failed]"))
                            .getText());
            assertEquals(
                    "100%",
                    browser.findElement(failRow)
                            .findElement(By.cssSelector("[data-field=failureRate]"))
                            .getText());
            assertEquals(
                    "6",
                    browser.findElement(
                                    By.cssSelector("#analytics-tasks tr[data-task=hello-world] [data-field=finished]"))
                            .getText());
            assertTrue(browser.findElement(By.id("analytics-summary")).getText().contains("11 runs finished"));
            assertFalse(browser.findElements(By.cssSelector("#chart-throughput rect.fill-failed"))
                    .isEmpty());
            assertFalse(browser.findElements(By.cssSelector("#chart-duration .line-p99 circle"))
                    .isEmpty());
            assertFalse(browser.findElements(By.cssSelector("#chart-failure-rate .line-rate circle"))
                    .isEmpty());
            assertNoConsoleErrors("analytics");
            screenshot("analytics");

            // A shared link to one task's numbers over another window.
            browser.get(analyticsBase + "/analytics?period=6h&task=fail&interval=15m");
            until(
                    "the page shows the fail task only",
                    () -> browser.findElement(By.id("analytics-summary"))
                            .getText()
                            .contains("2 runs finished"));
            assertEquals("fail", browser.findElement(By.name("task")).getAttribute("value"));
            assertEquals("6h", browser.findElement(By.name("period")).getAttribute("value"));
            assertEquals(
                    1,
                    browser.findElements(By.cssSelector("#analytics-tasks tbody tr"))
                            .size());
            assertNoConsoleErrors("analytics of one task");

            // A window from … to …: the last hour as two instants holds every run.
            java.time.Instant now = java.time.Instant.now();
            browser.get(analyticsBase + "/analytics?from=" + now.minus(Duration.ofHours(1)) + "&to="
                    + now.plus(Duration.ofMinutes(1)));
            until(
                    "the page shows the custom window",
                    () -> browser.findElement(By.id("analytics-summary"))
                            .getText()
                            .contains("11 runs finished"));
            assertEquals("custom", browser.findElement(By.name("period")).getAttribute("value"));
            assertFalse(
                    browser.findElement(By.name("from")).getAttribute("value").isEmpty());
            assertNoConsoleErrors("analytics from … to …");

            browser.manage().window().setSize(new Dimension(390, 844));
            browser.get(analyticsBase + "/analytics");
            await(By.cssSelector("#chart-duration svg"));
            long overflow = (Long) browser.executeScript(
                    "return document.documentElement.scrollWidth - document.documentElement.clientWidth;");
            assertEquals(0L, overflow, "the Analytics page does not scroll sideways on a phone");
            assertNoConsoleErrors("analytics on a phone");
            screenshot("analytics-phone");
            browser.manage().window().setSize(new Dimension(1280, 800));
            browser.findElement(By.id("sign-out")).click();
            await(By.name("token"));
            clickHouse.dropDatabase();
        } finally {
            browser.manage().window().setSize(new Dimension(1280, 800));
            TestNodes.stop(analyticsNode);
        }
    }

    @Test
    void aTriggeredRunAppearsAndCompletesOnTheRunsPageWithoutAReload() throws Exception {
        try {
            BatonClient client = HappyPathScenario.client(node);
            client.trigger("greet", Map.of("name", "earlier"));
            openSignedIn("/runs");
            until(
                    "the Runs page is live",
                    () -> "live".equals(browser.findElement(By.id("runs")).getAttribute("data-live")));
            // A reload or a navigation would drop this.
            browser.executeScript("window.__batonNoReload = 'still here';");

            String runId = client.trigger(
                            "greet",
                            Map.of("name", "live"),
                            TriggerOptions.builder().tags("live-update").build())
                    .id();
            By row = By.cssSelector("tr[data-run-id='" + runId + "']");
            await(row);
            until(
                    "its row turns COMPLETED in place",
                    () -> "COMPLETED".equals(browser.findElement(row).getAttribute("data-status")));
            assertEquals(
                    runId,
                    browser.findElement(By.cssSelector("#runs tbody tr")).getAttribute("data-run-id"),
                    "the new run is at the top");
            assertTrue(browser.findElement(row).getText().contains("live-update"), "with its tag");
            assertEquals(
                    "still here", browser.executeScript("return window.__batonNoReload;"), "the page was not reloaded");
            assertEquals(base + "/runs", browser.getCurrentUrl());
            assertNoConsoleErrors("live runs");
            screenshot("runs-live");

            // A hidden tab gives its connection back and takes it again when shown.
            browser.executeScript("Object.defineProperty(document, 'hidden', {configurable: true, get: () => true});"
                    + "document.dispatchEvent(new Event('visibilitychange'));");
            until(
                    "the stream pauses",
                    () -> browser.findElement(By.id("live-state")).getText().contains("Paused"));
            browser.executeScript("Object.defineProperty(document, 'hidden', {configurable: true, get: () => false});"
                    + "document.dispatchEvent(new Event('visibilitychange'));");
            until(
                    "the page is live again",
                    () -> "live".equals(browser.findElement(By.id("runs")).getAttribute("data-live")));
            String afterPause =
                    client.trigger("greet", Map.of("name", "after the pause")).id();
            By afterPauseRow = By.cssSelector("tr[data-run-id='" + afterPause + "']");
            await(afterPauseRow);
            until(
                    "it completes in place too",
                    () -> "COMPLETED".equals(browser.findElement(afterPauseRow).getAttribute("data-status")));
            assertEquals("still here", browser.executeScript("return window.__batonNoReload;"));

            // A later page does not move its rows: it counts the new runs instead.
            until("a second page of one run exists", () -> {
                browser.get(base + "/runs?size=1");
                await(By.cssSelector("#runs tbody tr"));
                return !browser.findElements(By.id("older")).isEmpty();
            });
            browser.findElement(By.id("older")).click();
            until(
                    "the second page is live",
                    () -> "live".equals(browser.findElement(By.id("runs")).getAttribute("data-live")));
            String shown = browser.findElement(By.cssSelector("#runs tbody tr")).getAttribute("data-run-id");
            client.trigger("greet", Map.of("name", "newer"));
            until(
                    "the page counts one new run",
                    () -> browser.findElement(By.id("new-runs")).getText().contains("1 new run"));
            assertEquals(
                    shown, browser.findElement(By.cssSelector("#runs tbody tr")).getAttribute("data-run-id"));
            assertNoConsoleErrors("live later page");
        } finally {
            signOut();
        }
    }

    @Test
    void theQueuesPagePausesAQueueAndOverridesItsLimit() throws Exception {
        BatonClient client = HappyPathScenario.client(node);
        Map<String, String> key = Map.of("authorization", "Bearer " + TestNodes.SECRET_KEY);
        browser.manage().window().setSize(new Dimension(1280, 800));
        browser.get(base + "/");
        browser.manage().deleteAllCookies();
        browser.executeScript("localStorage.clear();");
        browser.get(base + "/queues");
        await(By.name("token")).sendKeys(TestNodes.SECRET_KEY);
        browser.findElement(By.cssSelector("#sign-in button[type=submit]")).click();
        By greetRow = By.cssSelector("#queues tr[data-queue=greet][data-queue-type=task]");
        await(greetRow);
        assertEquals(base + "/queues", browser.getCurrentUrl(), "signing in on /queues stays there");
        assertTrue(
                browser.findElement(By.cssSelector("header nav a.active"))
                        .getText()
                        .equals("Queues"),
                "the nav marks the Queues page");
        assertNoConsoleErrors("queues");
        try {
            browser.findElement(greetRow)
                    .findElement(By.cssSelector("button.pause"))
                    .click();
            until(
                    "the row shows the queue paused",
                    () -> browser.findElement(greetRow)
                            .findElement(By.cssSelector("[data-field=paused]"))
                            .getText()
                            .equals("Paused"));
            JsonNode queue = JSON.readTree(
                    send("GET", "/api/v1/queues/greet?type=task", null, key).body());
            assertTrue(queue.get("paused").asBoolean(), "the API reports the queue paused: " + queue);

            String held = client.trigger("greet", Map.of("name", "held")).id();
            until(
                    "the page, refreshing itself, shows the held run queued",
                    () -> browser.findElement(greetRow)
                            .findElement(By.cssSelector("[data-field=queued]"))
                            .getText()
                            .equals("1"));
            assertEquals(RunStatus.QUEUED, client.retrieve(held).status(), "a paused queue starts nothing");

            WebElement limit = browser.findElement(greetRow).findElement(By.name("concurrencyLimit"));
            limit.sendKeys("1");
            browser.findElement(greetRow)
                    .findElement(By.cssSelector("form.override button[type=submit]"))
                    .click();
            until(
                    "the row shows the override",
                    () -> browser.findElement(greetRow)
                            .findElement(By.cssSelector("[data-field=limit]"))
                            .getText()
                            .contains("override"));
            assertEquals(
                    1,
                    JSON.readTree(send("GET", "/api/v1/queues/greet?type=task", null, key)
                                    .body())
                            .get("concurrencyLimit")
                            .asInt());
            assertEquals(
                    "none",
                    browser.findElement(greetRow)
                            .findElement(By.cssSelector("[data-field=rate-limit]"))
                            .getText());
            send(
                    "POST",
                    "/api/v1/queues/greet/rate-limit/override",
                    "{\"type\":\"task\",\"limit\":5,\"period\":\"1m\"}",
                    key);
            until(
                    "the row, refreshing itself, shows the rate-limit override",
                    () -> browser.findElement(greetRow)
                            .findElement(By.cssSelector("[data-field=rate-limit]"))
                            .getText()
                            .equals("5 / 1m override, none declared"));
            assertNoConsoleErrors("queues after pausing and overriding");
            screenshot("queues");

            browser.manage().window().setSize(new Dimension(390, 844));
            browser.get(base + "/queues");
            await(greetRow);
            long overflow = (Long) browser.executeScript(
                    "return document.documentElement.scrollWidth - document.documentElement.clientWidth;");
            assertEquals(0L, overflow, "the Queues page does not scroll sideways on a phone");
            assertNoConsoleErrors("queues on a phone");
            screenshot("queues-phone");
            browser.manage().window().setSize(new Dimension(1280, 800));

            browser.findElement(greetRow)
                    .findElement(By.cssSelector("button.resume"))
                    .click();
            until(
                    "the row shows the queue active",
                    () -> browser.findElement(greetRow)
                            .findElement(By.cssSelector("[data-field=paused]"))
                            .getText()
                            .equals("Active"));
            browser.findElement(greetRow)
                    .findElement(By.cssSelector("button.reset"))
                    .click();
            until(
                    "the row shows the declared limit again (none)",
                    () -> browser.findElement(greetRow)
                            .findElement(By.cssSelector("[data-field=limit]"))
                            .getText()
                            .equals("none"));
            // Without the rate limit the resumed run need not wait for its budget.
            send("POST", "/api/v1/queues/greet/rate-limit/reset", "{\"type\":\"task\"}", key);
            assertEquals(RunStatus.COMPLETED, client.poll(held, PATIENCE).status(), "resumed, the run runs");
            assertNoConsoleErrors("queues after resuming");
        } finally {
            send("POST", "/api/v1/queues/greet/pause", "{\"type\":\"task\",\"action\":\"resume\"}", key);
            send("POST", "/api/v1/queues/greet/rate-limit/reset", "{\"type\":\"task\"}", key);
        }
    }

    /** The pages' tests each sign in afresh; none leaves its session, or a phone-sized window, to the next. */
    @AfterEach
    void forgetTheBrowserSession() {
        browser.manage().deleteAllCookies();
        browser.manage().window().setSize(new Dimension(1280, 800));
    }

    @Test
    void workersPageShowsTheConnectedWorkerAsTheApiDoes() throws Exception {
        signInInBrowser(TestNodes.SECRET_KEY);
        JsonNode listed = JSON.readTree(
                        send("GET", "/api/v1/workers", null, keyHeaders()).body())
                .get("data");
        assertEquals(1, listed.size(), "the API lists the test's worker: " + listed);
        JsonNode session = listed.get(0);
        assertEquals(2, session.get("slots").asInt());
        assertTrue(session.get("sdk").asText().startsWith("baton-java"), session.toString());

        browser.get(base + "/workers");
        By row =
                By.cssSelector("tr[data-session-id='" + session.get("sessionId").asText() + "']");
        WebElement shown = await(row);
        assertTrue(shown.getText().contains(session.get("workerId").asText()), shown.getText());
        assertTrue(shown.getText().contains("greet"), "its task: " + shown.getText());
        assertTrue(
                shown.findElement(By.className("slots")).getText().endsWith("/ 2"),
                "slots in use of its 2: " + shown.getText());
        assertTrue(shown.getText().contains("baton-java"), "its SDK: " + shown.getText());
        assertNoConsoleErrors("workers");
        screenshot("workers");
    }

    @Test
    void schedulesPageShowsTheNextRunsAndDeactivatesASchedule() throws Exception {
        HttpResponse<String> created = send(
                "POST",
                "/api/v1/schedules",
                "{\"task\":\"greet\",\"cron\":\"0 9 * * 1-5\",\"deduplicationKey\":\"browser-weekdays\","
                        + "\"timezone\":\"Europe/Berlin\",\"externalId\":\"team-1\"}",
                keyHeaders());
        assertEquals(200, created.statusCode(), created.body());
        String id = JSON.readTree(created.body()).get("id").asText();

        signInInBrowser(TestNodes.SECRET_KEY);
        browser.get(base + "/schedules");
        By row = By.cssSelector("tr[data-schedule-id='" + id + "']");
        until("the Schedules page lists the schedule", () -> {
            if (!browser.findElements(row).isEmpty()) return true;
            browser.findElement(By.id("refresh")).click();
            return false;
        });
        WebElement shown = browser.findElement(row);
        assertTrue(shown.getText().contains("At 09:00, on Monday through Friday"), shown.getText());
        assertEquals(
                5,
                shown.findElement(By.className("next-runs"))
                        .findElements(By.tagName("div"))
                        .size(),
                "its next five runs");
        assertEquals(
                base + "/runs?schedule=" + id,
                shown.findElement(By.className("runs-link")).getAttribute("href"),
                "a link to its runs");
        assertNoConsoleErrors("schedules");
        screenshot("schedules");

        shown.findElement(By.className("deactivate")).click();
        until(
                "the schedule shows inactive",
                () -> browser.findElement(row)
                        .findElement(By.className("schedule-state"))
                        .getText()
                        .equals("inactive"));
        JsonNode schedule = JSON.readTree(
                send("GET", "/api/v1/schedules/" + id, null, keyHeaders()).body());
        assertFalse(schedule.get("active").asBoolean(), "the API reports it inactive: " + schedule);
        assertNoConsoleErrors("schedule deactivated");
    }

    @Test
    void tokensPageFiltersAndCompletesAWaitingToken() throws Exception {
        HttpResponse<String> created = send(
                "POST",
                "/api/v1/waitpoints/tokens",
                "{\"timeout\":\"1h\",\"tags\":[\"browser-approval\"]}",
                keyHeaders());
        assertEquals(200, created.statusCode(), created.body());
        String id = JSON.readTree(created.body()).get("id").asText();

        signInInBrowser(TestNodes.SECRET_KEY);
        browser.get(base + "/tokens?status=WAITING&tags=browser-approval");
        By row = By.cssSelector("tr[data-token-id='" + id + "']");
        until("the Tokens page lists the waiting token", () -> {
            if (!browser.findElements(row).isEmpty()) return true;
            browser.findElement(By.id("refresh")).click();
            return false;
        });
        assertEquals("WAITING", browser.findElement(By.name("status")).getAttribute("value"), "filters from the URL");
        assertTrue(browser.findElement(row).getText().contains("browser-approval"), "its tag");
        assertNoConsoleErrors("tokens");
        screenshot("tokens");

        browser.findElement(row).findElement(By.className("complete")).click();
        WebElement data = await(By.cssSelector(".complete-form textarea"));
        data.clear();
        data.sendKeys("{\"approved\": true, \"by\": \"browser\"}");
        browser.findElement(By.cssSelector(".complete-form button[type=submit]"))
                .click();
        until(
                "the token shows COMPLETED",
                () -> browser.findElement(row)
                        .findElement(By.className("token-status"))
                        .getText()
                        .equals("COMPLETED"));
        JsonNode token = JSON.readTree(send("GET", "/api/v1/waitpoints/tokens/" + id, null, keyHeaders())
                .body());
        assertEquals("COMPLETED", token.get("status").asText());
        assertEquals(
                Map.of("approved", true, "by", "browser"),
                JSON.readValue(token.get("output").asText(), Map.class),
                "the API holds the JSON typed in: " + token);
        assertNoConsoleErrors("token completed");
    }

    @Test
    void batchesPageListsABatchAndItsPageShowsItsRuns() throws Exception {
        HttpResponse<String> created = send(
                "POST",
                "/api/v2/tasks/batch",
                "{\"items\":[{\"task\":\"greet\",\"payload\":{\"name\":\"b1\"}},"
                        + "{\"task\":\"greet\",\"payload\":{\"name\":\"b2\"}}]}",
                keyHeaders());
        assertEquals(202, created.statusCode(), created.body());
        String id = JSON.readTree(created.body()).get("id").asText();
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        JsonNode listed;
        do {
            assertTrue(System.nanoTime() < deadline, "GET /api/v1/batches lists the batch");
            Thread.sleep(200);
            listed = JSON.readTree(send("GET", "/api/v1/batches?filter%5Bstatus%5D=COMPLETED", null, keyHeaders())
                    .body());
        } while (!listed.toString().contains(id));
        JsonNode item = listed.get("data").get(0);
        assertEquals(id, item.get("id").asText(), "newest first: " + listed);
        assertEquals(2, item.get("runsCreated").asInt());
        assertEquals(2, item.get("runCount").asInt());

        signInInBrowser(TestNodes.SECRET_KEY);
        browser.get(base + "/batches");
        By row = By.cssSelector("tr[data-batch-id='" + id + "']");
        WebElement shown = await(row);
        assertTrue(shown.getText().contains("COMPLETED") && shown.getText().contains("2 runs"), shown.getText());
        assertNoConsoleErrors("batches");
        screenshot("batches");

        shown.findElement(By.tagName("a")).click();
        until(
                "the Batch page shows the batch COMPLETED",
                () -> browser.findElement(By.id("batch-status")).getText().equals("COMPLETED"));
        assertEquals(base + "/batches/" + id, browser.getCurrentUrl(), "a batch's page has its own URL");
        List<WebElement> runs = browser.findElements(By.cssSelector("#batch-runs tr[data-run-id]"));
        assertEquals(2, runs.size(), "its two runs");
        assertTrue(browser.findElement(By.id("batch-runs-link"))
                .getAttribute("href")
                .endsWith("/runs?batch=" + id));
        assertNoConsoleErrors("batch");
        screenshot("batch");
        List<String> runIds =
                runs.stream().map(run -> run.getAttribute("data-run-id")).toList();
        browser.findElement(By.id("batch-runs-link")).click();
        until("the runs list filtered to the batch shows its two runs", () -> {
            browser.findElement(By.id("refresh")).click();
            return browser.findElements(By.cssSelector("#runs tr[data-run-id]")).stream()
                    .map(runRow -> runRow.getAttribute("data-run-id"))
                    .sorted()
                    .toList()
                    .equals(runIds.stream().sorted().toList());
        });
        assertNoConsoleErrors("runs of a batch");

        // Opening a batch by id (the form on the list), then one of its runs.
        browser.get(base + "/batches");
        await(By.id("batch-id")).sendKeys(id);
        browser.findElement(By.cssSelector("#open-batch button[type=submit]")).click();
        await(By.cssSelector("#batch-runs tr[data-run-id]"))
                .findElement(By.tagName("a"))
                .click();
        until(
                "the run page of a batch run",
                () -> browser.findElement(By.id("run-status")).getText().equals("COMPLETED"));
        assertNoConsoleErrors("batch run");
    }

    @Test
    void projectsPageChangesAnEnvironmentAndCreatesAndRevokesAKey() throws Exception {
        signInInBrowser(TestNodes.SECRET_KEY);
        browser.get(base + "/projects");
        assertTrue(await(By.id("needs-personal-access-token")).getText().contains("personal access token"));
        assertNoConsoleErrors("projects with a secret key");
        screenshot("projects-secret-key");

        signInInBrowser(ADMIN_TOKEN);
        String ref = node.credentials().environment().projectRef();
        String slug = node.credentials().environment().slug();
        browser.get(base + "/projects");
        WebElement environment =
                await(By.cssSelector("details.environment[data-environment='" + ref + "/" + slug + "']"));
        environment.findElement(By.tagName("summary")).click();
        WebElement limit = environment.findElement(By.name("concurrencyLimit"));
        limit.sendKeys(Keys.chord(Keys.CONTROL, "a"), Keys.BACK_SPACE, "40");
        environment
                .findElement(By.cssSelector(".settings-form button[type=submit]"))
                .click();
        until(
                "the environment shows its limit",
                () -> environment.findElement(By.tagName("summary")).getText().contains("concurrency 40"));
        Map<String, String> management = Map.of("authorization", "Bearer " + ADMIN_TOKEN);
        String environmentPath = "/api/v1/projects/" + ref + "/environments";
        JsonNode environments =
                JSON.readTree(send("GET", environmentPath, null, management).body());
        JsonNode changed = null;
        for (JsonNode candidate : environments)
            if (candidate.get("slug").asText().equals(slug)) changed = candidate;
        assertEquals(40, changed.get("concurrencyLimit").asInt(), "the API reports the limit: " + changed);

        WebElement create = environment.findElement(By.className("create-key"));
        create.findElement(By.name("name")).sendKeys("browser-key");
        create.findElement(By.cssSelector("button[type=submit]")).click();
        String secret = await(By.id("new-key-secret")).getText().strip();
        assertTrue(secret.startsWith("tr_" + slug + "_sk_"), secret);
        assertEquals(
                200,
                send("GET", "/api/v1/runs", null, Map.of("authorization", "Bearer " + secret))
                        .statusCode(),
                "the new key opens the environment");
        JsonNode keys = JSON.readTree(send("GET", environmentPath + "/" + slug + "/keys", null, management)
                        .body())
                .get("data");
        String keyId = null;
        for (JsonNode key : keys)
            if ("browser-key".equals(key.path("name").asText()))
                keyId = key.get("id").asText();
        assertTrue(keyId != null, "the API lists the created key: " + keys);
        By keyRow = By.cssSelector("tr[data-key-id='" + keyId + "']");
        until("the key is listed", () -> !environment.findElements(keyRow).isEmpty());
        assertNoConsoleErrors("projects");
        screenshot("projects");

        environment.findElement(keyRow).findElement(By.className("revoke")).click();
        browser.switchTo().alert().accept();
        until(
                "the key shows revoked",
                () -> environment
                        .findElement(keyRow)
                        .findElement(By.className("key-state"))
                        .getText()
                        .startsWith("revoked"));
        JsonNode revoked = null;
        for (JsonNode key : JSON.readTree(send("GET", environmentPath + "/" + slug + "/keys", null, management)
                        .body())
                .get("data")) {
            if (key.get("id").asText().equals(keyId)) revoked = key;
        }
        assertTrue(revoked.has("revokedAt"), "the API reports it revoked: " + revoked);
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (send("GET", "/api/v1/runs", null, Map.of("authorization", "Bearer " + secret))
                        .statusCode()
                != 401) {
            assertTrue(System.nanoTime() < deadline, "the revoked key still opens the environment");
            Thread.sleep(200);
        }
        assertNoConsoleErrors("key revoked");

        // Rotating a key: the new secret shows once; the old key keeps working until its overlap ends.
        environment
                .findElement(By.className("create-key"))
                .findElement(By.name("name"))
                .sendKeys("rotated-key");
        environment
                .findElement(By.cssSelector(".create-key button[type=submit]"))
                .click();
        until(
                "the second key's secret shows",
                () -> !browser.findElement(By.id("new-key-secret"))
                        .getText()
                        .strip()
                        .equals(secret));
        String before = browser.findElement(By.id("new-key-secret")).getText().strip();
        String rotatedId = null;
        for (JsonNode key : JSON.readTree(send("GET", environmentPath + "/" + slug + "/keys", null, management)
                        .body())
                .get("data")) {
            if ("rotated-key".equals(key.path("name").asText()))
                rotatedId = key.get("id").asText();
        }
        By rotatedRow = By.cssSelector("tr[data-key-id='" + rotatedId + "']");
        await(rotatedRow).findElement(By.className("rotate")).click();
        browser.switchTo().alert().sendKeys("1h");
        browser.switchTo().alert().accept();
        until(
                "the rotated key's new secret shows",
                () -> !browser.findElement(By.id("new-key-secret"))
                        .getText()
                        .strip()
                        .equals(before));
        String after = browser.findElement(By.id("new-key-secret")).getText().strip();
        assertEquals(
                200,
                send("GET", "/api/v1/runs", null, Map.of("authorization", "Bearer " + after))
                        .statusCode(),
                "the new secret opens the environment");
        assertEquals(
                200,
                send("GET", "/api/v1/runs", null, Map.of("authorization", "Bearer " + before))
                        .statusCode(),
                "the old one too, during its overlap");
        JsonNode replaced = null;
        for (JsonNode key : JSON.readTree(send("GET", environmentPath + "/" + slug + "/keys", null, management)
                        .body())
                .get("data")) {
            if (key.get("id").asText().equals(rotatedId)) replaced = key;
        }
        Instant expires = Instant.parse(replaced.get("expiresAt").asText());
        assertTrue(
                expires.isAfter(Instant.now().plus(Duration.ofMinutes(50)))
                        && expires.isBefore(Instant.now().plus(Duration.ofMinutes(70))),
                "the old key expires after the hour typed in: " + replaced);
        until(
                "the old key shows its expiry",
                () -> environment
                        .findElement(rotatedRow)
                        .findElement(By.className("key-state"))
                        .getText()
                        .startsWith("expires"));
        assertNoConsoleErrors("key rotated");

        // Back to the node's default, for the other tests.
        // Typed away (clear() would change the field without the input event the page listens to).
        environment.findElement(By.name("concurrencyLimit")).sendKeys(Keys.chord(Keys.CONTROL, "a"), Keys.BACK_SPACE);
        environment
                .findElement(By.cssSelector(".settings-form button[type=submit]"))
                .click();
        until(
                "the limit is the node's default again",
                () -> environment.findElement(By.tagName("summary")).getText().contains("concurrency node default"));
    }

    @Test
    void theNewPagesFitAPhone() throws Exception {
        signInInBrowser(ADMIN_TOKEN);
        browser.manage().window().setSize(new Dimension(390, 844));
        try {
            browser.get(base + "/projects");
            await(By.cssSelector("details.environment"))
                    .findElement(By.tagName("summary"))
                    .click();
            await(By.className("keys-table"));
            assertNoSidewaysScroll("projects");
            assertNoConsoleErrors("projects on a phone");
            screenshot("projects-phone");
            signInInBrowser(TestNodes.SECRET_KEY);
            for (String page : List.of("/workers", "/schedules", "/tokens", "/batches")) {
                browser.get(base + page);
                await(By.cssSelector("table"));
                assertNoSidewaysScroll(page);
                assertNoConsoleErrors(page + " on a phone");
            }
        } finally {
            browser.manage().window().setSize(new Dimension(1280, 800));
        }
    }

    @Test
    void theRunPageShowsTheRunsLogsAsTheyArrive() throws Exception {
        // Its own worker and task, so the other tests' worker stays as it is; the run waits until the page has shown
        // its first lines, then logs once more: that line can only reach the page through the follow stream.
        java.util.concurrent.CountDownLatch pageShowedFirstLines = new java.util.concurrent.CountDownLatch(1);
        Task<Map, Map> logged = Task.<Map, Map>define("logs-in-browser", Map.class, (payload, ctx) -> {
                    ctx.logger().info("charging order {}", "o-42", Map.of("orderId", "o-42", "cents", 1250));
                    ctx.logger().warn("the card needs 3-D Secure");
                    ctx.logger().error("the first charge failed", new IllegalStateException("card declined"));
                    if (!pageShowedFirstLines.await(60, java.util.concurrent.TimeUnit.SECONDS))
                        throw new IllegalStateException("the page never showed the first lines");
                    ctx.logger().info("charged after the page was watching");
                    return Map.of("charged", true);
                })
                .build();
        try (BatonWorker logWorker = BatonWorker.builder(HappyPathScenario.url(node), TestNodes.WORKER_TOKEN)
                .slots(1)
                .register(logged)
                .build()) {
            logWorker.start();
            assertTrue(logWorker.awaitConnected(PATIENCE), "the log worker connects");
            String runId = HappyPathScenario.client(node)
                    .trigger("logs-in-browser", Map.of())
                    .id();

            browser.get(base + "/runs/" + runId);
            until(
                    "the page asks for a key or shows the run",
                    () -> !browser.findElements(By.name("token")).isEmpty()
                            || !browser.findElements(By.id("run-logs")).isEmpty());
            if (!browser.findElements(By.name("token")).isEmpty()) {
                browser.findElement(By.name("token")).sendKeys(TestNodes.SECRET_KEY);
                browser.findElement(By.cssSelector("#sign-in button[type=submit]"))
                        .click();
            }
            until(
                    "the Logs panel shows the first three lines",
                    () -> browser.findElements(By.cssSelector("#log-lines li")).size() == 3);
            WebElement first = browser.findElement(By.cssSelector("#log-lines li"));
            assertTrue(first.getText().contains("charging order o-42"), first.getText());
            assertTrue(first.getText().contains("orderId=\"o-42\""), "its attributes: " + first.getText());
            assertTrue(first.getText().contains("#1"), "its attempt: " + first.getText());
            assertEquals("live", browser.findElement(By.id("logs-state")).getText(), "the run is still executing");
            pageShowedFirstLines.countDown();
            until(
                    "the line logged after the page opened arrives without a reload",
                    () -> browser.findElement(By.id("log-lines")).getText().contains("charged after the page"));
            until(
                    "the panel says every line is shown once the run has ended",
                    () -> browser.findElement(By.id("logs-state")).getText().startsWith("all lines shown"));
            until(
                    "the page reloads the run when its log stream ends",
                    () -> browser.findElement(By.id("run-status")).getText().equals("COMPLETED"));

            // The error's stack is folded until asked for.
            WebElement error = browser.findElement(By.cssSelector("#log-lines li.level-error details"));
            assertEquals(null, error.getAttribute("open"));
            error.findElement(By.tagName("summary")).click();
            until(
                    "the stack unfolds",
                    () -> error.findElement(By.tagName("pre")).isDisplayed());
            assertTrue(error.findElement(By.tagName("pre")).getText().contains("IllegalStateException: card declined"));
            assertNoConsoleErrors("run logs");
            browser.executeScript("document.getElementById('run-logs').scrollIntoView()");
            screenshot("run-logs");

            // The level filter reads again from the server: warn and above.
            browser.findElement(By.cssSelector("#logs-level option[value='warn']"))
                    .click();
            until(
                    "only warn and error lines remain",
                    () -> browser.findElements(By.cssSelector("#log-lines li")).size() == 2);
            assertTrue(browser.findElement(By.id("log-lines")).getText().contains("3-D Secure"));
            browser.findElement(By.cssSelector("#logs-attempt option[value='1']"))
                    .click();
            until(
                    "attempt 1's warn and error lines",
                    () -> browser.findElements(By.cssSelector("#log-lines li[data-attempt='1']"))
                                    .size()
                            == 2);
            // The list may already hold only attempt 1's lines before the URL takes the filter: wait for the URL too.
            until("the URL keeps both filters", () -> browser.getCurrentUrl().endsWith("?logLevel=warn&logAttempt=1"));
            assertNoConsoleErrors("run logs filtered");

            browser.manage().window().setSize(new Dimension(390, 844));
            browser.navigate().refresh(); // the filters come back from the URL
            until(
                    "the shared URL shows the same two lines",
                    () -> browser.findElements(By.cssSelector("#log-lines li")).size() == 2);
            long overflow = (Long) browser.executeScript(
                    "return document.documentElement.scrollWidth - document.documentElement.clientWidth;");
            assertEquals(0L, overflow, "the Run page with its logs does not scroll sideways on a phone");
            assertNoConsoleErrors("run logs on a phone");
            browser.executeScript("document.getElementById('run-logs').scrollIntoView()");
            screenshot("run-logs-phone");
        } finally {
            browser.manage().window().setSize(new Dimension(1280, 800));
        }
    }

    private static void assertNoSidewaysScroll(String page) {
        long overflow = (Long) browser.executeScript(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth;");
        assertEquals(0L, overflow, page + " does not scroll sideways on a phone");
    }

    /** A fresh browser session opened with the credential (any earlier session's cookie is dropped first). */
    private static void signInInBrowser(String credential) {
        // Dropped on a blank page, so no call of the old session's page is cut off (a 401 logged).
        browser.get("about:blank");
        browser.executeCdpCommand("Network.clearBrowserCookies", Map.of());
        browser.get(base + "/sign-in");
        await(By.name("token")).sendKeys(credential);
        browser.findElement(By.cssSelector("#sign-in button[type=submit]")).click();
        await(By.id("sign-out"));
    }

    private static Map<String, String> keyHeaders() {
        return Map.of("authorization", "Bearer " + TestNodes.SECRET_KEY);
    }

    @Test
    void theRunPageShowsEachAttemptAndTheOutputAsTheRunGoes() throws Exception {
        try {
            Task<Map, Map> flaky = Task.<Map, Map>define("flaky-once", Map.class, (payload, ctx) -> {
                        if (ctx.attemptNumber() == 1) throw new IllegalStateException("the first attempt fails");
                        return Map.of("attempt", ctx.attemptNumber());
                    })
                    .retry(new RetryPolicy(2, 1, 500, 500, false))
                    .build();
            try (BatonWorker flakyWorker = BatonWorker.builder(HappyPathScenario.url(node), TestNodes.WORKER_TOKEN)
                    .slots(1)
                    .register(flaky)
                    .build()) {
                flakyWorker.start();
                assertTrue(flakyWorker.awaitConnected(PATIENCE), "the worker connects");
                BatonClient client = HappyPathScenario.client(node);
                String runId = client.trigger(
                                "flaky-once",
                                Map.of("order", 42),
                                TriggerOptions.builder().tags("retried").build())
                        .id();
                openSignedIn("/runs/" + runId);
                browser.executeScript("window.__batonNoReload = 'still here';");
                until(
                        "the Run page shows it COMPLETED without a reload",
                        () -> browser.findElement(By.id("run-status")).getText().equals("COMPLETED"));
                until(
                        "both attempts are listed",
                        () -> browser.findElements(By.cssSelector("#attempts tbody tr"))
                                        .size()
                                == 2);
                String first = browser.findElement(By.cssSelector("#attempts tr[data-attempt='1']"))
                        .getText();
                assertTrue(first.contains("AttemptFailed") && first.contains("the first attempt fails"), first);
                assertTrue(browser.findElement(By.cssSelector("#attempts tr[data-attempt='2']"))
                        .getText()
                        .contains("RunSucceeded"));
                assertEquals("2", browser.findElement(By.id("run-attempts")).getText());
                assertTrue(browser.findElement(By.id("run-output")).getText().contains("\"attempt\": 2"));
                String timeline = browser.findElement(By.id("timeline")).getText();
                assertTrue(
                        timeline.contains("Attempt 1") && timeline.contains("Attempt 2") && timeline.contains("Failed"),
                        timeline);
                assertTrue(timeline.contains("IllegalStateException"), "the failed attempt's error: " + timeline);
                assertEquals("still here", browser.executeScript("return window.__batonNoReload;"));
                assertNoConsoleErrors("retried run");
                screenshot("run-retried");

                // On a phone the timeline, the actions and the tables fit the viewport's width.
                browser.manage().window().setSize(new Dimension(390, 844));
                browser.navigate().refresh();
                await(By.id("timeline"));
                long overflow = (Long) browser.executeScript(
                        "return document.documentElement.scrollWidth - document.documentElement.clientWidth;");
                assertEquals(0L, overflow, "the Run page does not scroll sideways on a phone");
                assertNoConsoleErrors("retried run on a phone");
                screenshot("run-phone");
                browser.manage().window().setSize(new Dimension(1280, 800));
            }
        } finally {
            signOut();
        }
    }

    @Test
    void bulkCancelTwoDelayedRunsFromTheRunsPage() throws Exception {
        try {
            BatonClient client = HappyPathScenario.client(node);
            String tag = "bulk-" + System.nanoTime();
            List<String> delayed = List.of(
                    client.trigger(
                                    "greet",
                                    Map.of("name", "a"),
                                    TriggerOptions.builder()
                                            .delay("1h")
                                            .tags(tag)
                                            .build())
                            .id(),
                    client.trigger(
                                    "greet",
                                    Map.of("name", "b"),
                                    TriggerOptions.builder()
                                            .delay("1h")
                                            .tags(tag)
                                            .build())
                            .id());
            openSignedIn("/runs?tag=" + tag);
            // Triggered before the page opened, they show once the runs table has them.
            until("both runs are listed", () -> {
                if (browser.findElement(By.id("refresh")).isEnabled())
                    browser.findElement(By.id("refresh")).click();
                return delayed.stream()
                        .allMatch(runId -> !browser.findElements(By.cssSelector("tr[data-run-id='" + runId + "']"))
                                .isEmpty());
            });
            until(
                    "only the two runs are listed",
                    () -> browser.findElements(By.cssSelector("#runs tbody tr")).size() == 2);
            browser.findElement(By.id("select-all")).click();
            assertTrue(browser.findElement(By.id("bulk-actions")).getText().contains("2 selected"));
            screenshot("runs-selected");
            browser.findElement(By.id("bulk-cancel")).click();
            // It asks first; nothing is canceled yet.
            await(By.id("bulk-cancel-confirm"));
            assertEquals(RunStatus.DELAYED, client.retrieve(delayed.get(0)).status());
            browser.findElement(By.id("bulk-cancel-confirm")).click();
            until(
                    "the summary says both were canceled",
                    () -> browser.findElement(By.id("bulk-done")).getText().contains("Canceled 2 of 2"));
            for (String runId : delayed) {
                assertEquals(RunStatus.CANCELED, client.retrieve(runId).status(), "the API reports it canceled");
                By row = By.cssSelector("tr[data-run-id='" + runId + "']");
                until(
                        "its row shows CANCELED",
                        () -> "CANCELED".equals(browser.findElement(row).getAttribute("data-status")));
            }
            assertNoConsoleErrors("bulk cancel");
            screenshot("runs-bulk-canceled");
        } finally {
            signOut();
        }
    }

    @Test
    void replayWithAnEditedPayloadStartsARunWithIt() throws Exception {
        try {
            BatonClient client = HappyPathScenario.client(node);
            String original =
                    client.trigger("greet", Map.of("name", "original")).id();
            openSignedIn("/runs/" + original);
            until(
                    "the run completes",
                    () -> browser.findElement(By.id("run-status")).getText().equals("COMPLETED"));
            browser.findElement(By.id("replay-edited")).click();
            WebElement editor = await(By.id("replay-payload"));
            assertTrue(editor.getAttribute("value").contains("original"), "the editor starts with the payload");
            editor.sendKeys(Keys.chord(Keys.CONTROL, "a"), "{\"name\": ");
            await(By.id("replay-payload-problem"));
            assertFalse(browser.findElement(By.id("replay-send")).isEnabled(), "invalid JSON is not sent");
            editor.sendKeys("\"edited\"}");
            until(
                    "the JSON is valid again",
                    () -> browser.findElements(By.id("replay-payload-problem")).isEmpty());
            screenshot("run-replay-edited");
            browser.findElement(By.id("replay-send")).click();
            until("Replay opens the new run", () -> !browser.getCurrentUrl().endsWith(original));
            String replayed = browser.getCurrentUrl().substring((base + "/runs/").length());
            until(
                    "the new run completes",
                    () -> browser.findElement(By.id("run-status")).getText().equals("COMPLETED"));
            assertTrue(browser.findElement(By.id("run-output")).getText().contains("hello edited"));
            assertEquals(
                    "edited", client.retrieve(replayed).payload().get("name").asText(), "the API has the new payload");
            assertEquals(
                    "original", client.retrieve(original).payload().get("name").asText());
            assertNoConsoleErrors("replayed with an edited payload");
        } finally {
            signOut();
        }
    }

    @Test
    void theRunPageCompletesATokenReschedulesAndResetsAnIdempotencyKey() throws Exception {
        Task<Map, Map> approval = Task.<Map, Map>define("await-approval", Map.class, (payload, ctx) -> {
                    TokenResult result = ctx.waitForToken((String) payload.get("token"));
                    return Map.of("approved", result.data());
                })
                .build();
        try (BatonWorker approvals = BatonWorker.builder(HappyPathScenario.url(node), TestNodes.WORKER_TOKEN)
                .slots(1)
                .register(approval)
                .build()) {
            approvals.start();
            assertTrue(approvals.awaitConnected(PATIENCE), "the worker connects");
            BatonClient client = HappyPathScenario.client(node);
            String token = client.createToken(WaitpointTokenOptions.none()).id();
            String waiting =
                    client.trigger("await-approval", Map.of("token", token)).id();
            openSignedIn("/runs/" + waiting);
            await(By.id("complete-token")).click();
            WebElement data = await(By.id("token-data"));
            data.sendKeys("{\"by\": \"browser\"}");
            until(
                    "the data is valid JSON",
                    () -> browser.findElements(By.id("token-data-problem")).isEmpty());
            browser.findElement(By.id("token-send")).click();
            until(
                    "the run resumes and completes",
                    () -> browser.findElement(By.id("run-status")).getText().equals("COMPLETED"));
            until(
                    "its output has the token's data",
                    () -> browser.findElement(By.id("run-output")).getText().contains("browser"));
            String timeline = browser.findElement(By.id("timeline")).getText();
            assertTrue(
                    timeline.contains("Wait for a waitpoint token") && timeline.contains("the token was completed"),
                    timeline);
            assertNoConsoleErrors("token completed");
            screenshot("run-token-completed");

            String key = "dashboard-key-" + System.nanoTime();
            TriggerOptions keyed =
                    TriggerOptions.builder().delay("1h").idempotencyKey(key).build();
            String delayed =
                    client.trigger("greet", Map.of("name", "keyed"), keyed).id();
            browser.get(base + "/runs/" + delayed);
            String delayedBefore = await(By.id("run-delayed-until")).getText();
            browser.findElement(By.id("reschedule")).click();
            WebElement at = await(By.id("reschedule-at"));
            // Two days from now, as the input takes it: local time to the minute.
            browser.executeScript(
                    "const when = new Date(Date.now() + 2 * 86400000 - new Date().getTimezoneOffset() * 60000);"
                            + "const setValue = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;"
                            + "setValue.call(arguments[0], when.toISOString().slice(0, 16));"
                            + "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
                    at);
            browser.findElement(By.id("reschedule-send")).click();
            Instant inTwoDays = Instant.now().plus(Duration.ofDays(2));
            until("the run is rescheduled", () -> {
                Instant until = client.retrieve(delayed).delayedUntil();
                return until != null && Duration.between(until, inTwoDays).abs().compareTo(Duration.ofMinutes(5)) < 0;
            });
            await(By.id("run-delayed-until"));
            until(
                    "the page shows the new time",
                    () -> !browser.findElement(By.id("run-delayed-until"))
                            .getText()
                            .isEmpty());
            assertTrue(browser.findElements(By.id("reschedule-panel")).isEmpty(), "the panel closes when done");

            assertTrue(client.trigger("greet", Map.of("name", "keyed"), keyed).isCached(), "the key holds the run");
            browser.findElement(By.id("reset-key")).click();
            until(
                    "the page says the key was reset",
                    () -> browser.findElement(By.id("notice")).getText().contains("Idempotency key reset"));
            TriggerResult again = client.trigger("greet", Map.of("name", "keyed"), keyed);
            assertFalse(again.isCached(), "after the reset the key starts a new run");
            assertNoConsoleErrors("rescheduled and key reset");
        } finally {
            signOut();
        }
    }

    /**
     * Thousands of runs changing at once (notices published on the node's real change feed, for a task no worker
     * runs): the page draws the newest page of them in a frame or two and its main thread is never blocked long.
     */
    @Test
    void aBurstOfChangesKeepsTheRunsPageResponsive() throws Exception {
        try {
            openSignedIn("/runs?task=burst-task");
            until(
                    "the Runs page is live",
                    () -> "live".equals(browser.findElement(By.id("runs")).getAttribute("data-live")));
            browser.executeScript("window.__batonNoReload = 'still here'; window.__longestTask = 0;"
                    + "new PerformanceObserver((list) => list.getEntries().forEach((entry) => {"
                    + "  window.__longestTask = Math.max(window.__longestTask, entry.duration); }))"
                    + ".observe({type: 'longtask'});");
            String environmentId = node.credentials().environment().id();
            Instant now = Instant.now();
            int runs = 3_000;
            for (int i = 0; i < runs; i++) {
                Instant createdAt = now.plusMillis(i);
                node.engine()
                        .changes()
                        .publish(new RunChanged(
                                environmentId,
                                String.format("run_burst%05d", i),
                                List.of(),
                                null,
                                createdAt,
                                new RunChanged.Summary(
                                        dev.baton.engine.run.RunStatus.QUEUED,
                                        "burst-task",
                                        "task/burst-task",
                                        false,
                                        createdAt,
                                        null,
                                        null,
                                        null,
                                        0,
                                        null,
                                        0,
                                        null,
                                        null)));
            }
            until(
                    "the newest of them is at the top",
                    () -> String.format("run_burst%05d", runs - 1)
                            .equals(browser.findElement(By.cssSelector("#runs tbody tr"))
                                    .getAttribute("data-run-id")));
            assertEquals(
                    25, browser.findElements(By.cssSelector("#runs tbody tr")).size(), "one page of them");
            Number longest = (Number) browser.executeScript("return window.__longestTask;");
            assertTrue(longest.doubleValue() < 1_000, "the main thread was blocked for " + longest + " ms");
            assertEquals("still here", browser.executeScript("return window.__batonNoReload;"));
            assertNoConsoleErrors("burst of changes");
        } finally {
            signOut();
        }
    }

    @Test
    void aParentAndItsChildLinkToEachOther() throws Exception {
        Task<Map, Map> parent = Task.<Map, Map>define("greet-through-a-child", Map.class, (payload, ctx) -> {
                    ChildResult child = ctx.triggerAndWait("greet", Map.of("name", "child"));
                    return Map.of("child", child.id(), "said", child.output());
                })
                .build();
        try (BatonWorker parents = BatonWorker.builder(HappyPathScenario.url(node), TestNodes.WORKER_TOKEN)
                .slots(1)
                .register(parent)
                .build()) {
            parents.start();
            assertTrue(parents.awaitConnected(PATIENCE), "the worker connects");
            BatonClient client = HappyPathScenario.client(node);
            String parentId = client.trigger("greet-through-a-child", Map.of()).id();
            openSignedIn("/runs/" + parentId);
            until(
                    "the parent completes",
                    () -> browser.findElement(By.id("run-status")).getText().equals("COMPLETED"));
            String childId = client.retrieve(parentId).output().get("child").asText();
            await(By.cssSelector("#run-children a[href='/runs/" + childId + "']"));
            String timeline = browser.findElement(By.id("timeline")).getText();
            assertTrue(
                    timeline.contains("Wait for 1 child run") && timeline.contains("every child run finished"),
                    timeline);
            assertTrue(timeline.contains(childId), "the wait links its child: " + timeline);
            assertNoConsoleErrors("parent run");
            screenshot("run-parent");

            browser.findElement(By.cssSelector("#run-children a[href='/runs/" + childId + "']"))
                    .click();
            await(By.cssSelector("#run-parent a[href='/runs/" + parentId + "']"));
            assertEquals(base + "/runs/" + childId, browser.getCurrentUrl());
            assertTrue(browser.findElement(By.id("timeline")).getText().contains(parentId), "its trigger names it");
            assertNoConsoleErrors("child run");
        } finally {
            signOut();
        }
    }

    @Test
    void anExecutingRunsDurationCountsUp() throws Exception {
        Task<Map, Map> slow = Task.<Map, Map>define("take-a-moment", Map.class, (payload, ctx) -> {
                    Thread.sleep(4_000);
                    return Map.of("done", true);
                })
                .build();
        try (BatonWorker slowWorker = BatonWorker.builder(HappyPathScenario.url(node), TestNodes.WORKER_TOKEN)
                .slots(1)
                .register(slow)
                .build()) {
            slowWorker.start();
            assertTrue(slowWorker.awaitConnected(PATIENCE), "the worker connects");
            String runId = HappyPathScenario.client(node)
                    .trigger("take-a-moment", Map.of())
                    .id();
            openSignedIn("/runs/" + runId);
            until(
                    "it executes",
                    () -> browser.findElement(By.id("run-status")).getText().equals("EXECUTING"));
            String first = browser.findElement(By.id("run-duration")).getText();
            until("its duration counts up while it runs", () -> {
                String now = browser.findElement(By.id("run-duration")).getText();
                return !now.equals(first) && !now.endsWith(" ms");
            });
            until(
                    "it completes",
                    () -> browser.findElement(By.id("run-status")).getText().equals("COMPLETED"));
            assertNoConsoleErrors("executing run");
        } finally {
            signOut();
        }
    }

    /** Leaves the browser signed out, as the other tests expect to find it. */
    private static void signOut() {
        browser.manage().window().setSize(new Dimension(1280, 800));
        browser.get(base + "/runs");
        until(
                "the page or the sign-in form shows",
                () -> !browser.findElements(By.name("token")).isEmpty()
                        || !browser.findElements(By.id("sign-out")).isEmpty());
        if (browser.findElements(By.id("sign-out")).isEmpty()) return;
        // Not while the page is still reading: a read answered after the sign-out would be refused (a console error).
        until(
                "the Runs page has loaded",
                () -> "live".equals(browser.findElement(By.id("runs")).getAttribute("data-live"))
                        && browser.findElement(By.id("refresh")).isEnabled());
        browser.findElement(By.id("sign-out")).click();
        await(By.name("token"));
    }

    /** Opens a page of the dashboard, signing in with the environment's secret key when it asks. */
    private static void openSignedIn(String path) {
        browser.manage().window().setSize(new Dimension(1280, 800));
        browser.get(base + path);
        until(
                "the page or the sign-in form shows",
                () -> !browser.findElements(By.name("token")).isEmpty()
                        || !browser.findElements(By.cssSelector("main h1")).isEmpty());
        if (!browser.findElements(By.name("token")).isEmpty()) {
            browser.findElement(By.name("token")).sendKeys(TestNodes.SECRET_KEY);
            browser.findElement(By.cssSelector("#sign-in button[type=submit]")).click();
            until("signed in", () -> browser.findElements(By.name("token")).isEmpty());
            browser.get(base + path);
        }
        await(By.cssSelector("main h1"));
    }

    private static Map<String, String> signIn(String credential) throws Exception {
        HttpResponse<String> signedIn =
                send("POST", "/dashboard/session", "{\"token\":\"" + credential + "\"}", Map.of(CSRF, "1"));
        assertEquals(200, signedIn.statusCode(), signedIn.body());
        String setCookie = signedIn.headers().firstValue("set-cookie").orElseThrow();
        return Map.of("cookie", setCookie.substring(0, setCookie.indexOf(';')));
    }

    private static HttpResponse<String> send(String method, String path, String body, Map<String, String> headers)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
                .method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body));
        headers.forEach(request::header);
        if (body != null && !headers.containsKey("content-type")) request.header("content-type", "application/json");
        return HTTP.send(request.build(), BodyHandlers.ofString());
    }

    /** The binary the variable names (which must exist), else the Debian path; skips when neither is there. */
    private static File executable(String variable, String debianPath) {
        String configured = System.getenv(variable);
        if (configured != null && !configured.isBlank()) {
            File file = new File(configured);
            if (!file.canExecute()) Assertions.fail(variable + "=" + configured + " is not an executable file");
            return file;
        }
        File file = new File(debianPath);
        Assumptions.assumeTrue(
                file.canExecute(),
                "Dashboard browser test skipped: " + variable + " is not set and " + debianPath
                        + " is missing (apt-get install chromium chromium-driver; ./scripts/test installs them)");
        return file;
    }

    private static WebElement await(By locator) {
        until("the page shows " + locator, () -> !browser.findElements(locator).isEmpty());
        return browser.findElement(locator);
    }

    private static void until(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (true) {
            try {
                if (condition.getAsBoolean()) return;
            } catch (org.openqa.selenium.WebDriverException e) {
                // The page re-rendered under the lookup (a stale element): look again.
            }
            if (System.nanoTime() > deadline) {
                screenshot("failed");
                Assertions.fail("Timed out waiting until " + what + "; page text: "
                        + browser.findElement(By.tagName("body")).getText());
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    /** What the page logged since the last check; an error (a failed request among them) fails the test. */
    private static void assertNoConsoleErrors(String page) {
        List<LogEntry> errors = browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(entry -> entry.getLevel().intValue() >= Level.SEVERE.intValue())
                .toList();
        assertTrue(errors.isEmpty(), page + " page logged console errors: " + errors);
    }

    private static void screenshot(String name) {
        try {
            Path taken = browser.getScreenshotAs(OutputType.FILE).toPath();
            Files.copy(taken, SCREENSHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new AssertionError("could not write the screenshot " + name, e);
        }
    }
}
