package dev.baton.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.baton.api.auth.Authentication;
import dev.baton.sdk.client.BatonClient;
import dev.baton.sdk.client.RunStatus;
import dev.baton.sdk.client.TriggerOptions;
import dev.baton.sdk.task.Task;
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
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
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
            assertTrue(browser.getCurrentUrl().endsWith("?logLevel=warn&logAttempt=1"), browser.getCurrentUrl());
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
