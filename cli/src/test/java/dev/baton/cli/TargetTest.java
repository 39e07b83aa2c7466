package dev.baton.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where the URL, token, project and environment come from, first found wins; no node needed. */
class TargetTest {

    @TempDir
    Path work;

    @TempDir
    Path home;

    private CliRunner cli() {
        return new CliRunner(work, home);
    }

    private Target resolve(CliRunner cli, String url, String token, String project, String environment) {
        Invocation invocation = cli.invocation();
        return Target.resolve(invocation, CliDefaults.load(invocation.env()), url, token, project, environment);
    }

    private static void write(Path file, String content) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, content);
    }

    @Test
    void withNothingConfiguredTheDevDefaultUrlAndNoTokenOrProject() {
        Target target = resolve(cli(), null, null, null, null);
        assertEquals("http://127.0.0.1:8080", target.url());
        assertNull(target.token());
        assertNull(target.project());
        assertNull(target.environment());
    }

    @Test
    void theDevDataFolderGivesTheAdminTokenAndTheDevProjectAndEnvironment() throws IOException {
        write(work.resolve("baton-data/credentials.properties"), "secret-key=tr_dev_x\nadmin-token=tr_pat_dev\n");
        Target target = resolve(cli(), null, null, null, null);
        assertEquals("tr_pat_dev", target.token());
        assertEquals("default", target.project());
        assertEquals("dev", target.environment());
    }

    @Test
    void baton_data_dirMovesTheDevDataFolder() throws IOException {
        write(work.resolve("elsewhere/credentials.properties"), "admin-token=tr_pat_elsewhere\n");
        Target target = resolve(cli().env("BATON_DATA_DIR", "elsewhere"), null, null, null, null);
        assertEquals("tr_pat_elsewhere", target.token());
    }

    @Test
    void theConfigFileBeatsTheDevDataFolder() throws IOException {
        write(work.resolve("baton-data/credentials.properties"), "admin-token=tr_pat_dev\n");
        write(
                home.resolve(".config/baton/config.properties"),
                "url=http://config:1/\ntoken=tr_pat_config\nproject=proj_config\nenv=staging\n");
        Target target = resolve(cli(), null, null, null, null);
        assertEquals("http://config:1", target.url(), "a trailing slash is dropped");
        assertEquals("tr_pat_config", target.token());
        assertEquals("proj_config", target.project());
        assertEquals("staging", target.environment());
    }

    @Test
    void xdgConfigHomeIsUsedInsteadOfDotConfig() throws IOException {
        write(home.resolve(".config/baton/config.properties"), "token=tr_pat_dot_config\n");
        write(work.resolve("xdg/baton/config.properties"), "token=tr_pat_xdg\n");
        Target target = resolve(cli().env("XDG_CONFIG_HOME", work.resolve("xdg").toString()), null, null, null, null);
        assertEquals("tr_pat_xdg", target.token());
    }

    @Test
    void baton_configNamesTheFileAndAMissingOneIsAnError() throws IOException {
        write(work.resolve("mine.properties"), "token=tr_pat_mine\n");
        write(home.resolve(".config/baton/config.properties"), "token=tr_pat_dot_config\n");
        assertEquals(
                "tr_pat_mine",
                resolve(cli().env("BATON_CONFIG", "mine.properties"), null, null, null, null)
                        .token());
        CliFailure failure = assertThrows(
                CliFailure.class,
                () -> resolve(cli().env("BATON_CONFIG", "missing.properties"), null, null, null, null));
        assertTrue(failure.getMessage().contains("missing.properties"), failure.getMessage());
    }

    @Test
    void environmentVariablesBeatTheConfigFile() throws IOException {
        write(
                home.resolve(".config/baton/config.properties"),
                "url=http://config:1\ntoken=tr_pat_config\nproject=proj_config\nenv=staging\n");
        CliRunner cli = cli().env("BATON_URL", "http://env:2")
                .env("BATON_TOKEN", "tr_pat_env")
                .env("BATON_PROJECT", "proj_env")
                .env("BATON_ENV", "prod");
        Target target = resolve(cli, null, null, null, null);
        assertEquals(new Target("http://env:2", "tr_pat_env", "proj_env", "prod"), target);
    }

    @Test
    void flagsBeatEverything() throws IOException {
        write(work.resolve("baton-data/credentials.properties"), "admin-token=tr_pat_dev\n");
        write(home.resolve(".config/baton/config.properties"), "url=http://config:1\ntoken=tr_pat_config\n");
        CliRunner cli = cli().env("BATON_URL", "http://env:2")
                .env("BATON_TOKEN", "tr_pat_env")
                .env("BATON_PROJECT", "proj_env")
                .env("BATON_ENV", "prod");
        Target target = resolve(cli, "http://flag:3", "tr_pat_flag", "proj_flag", "dev");
        assertEquals(new Target("http://flag:3", "tr_pat_flag", "proj_flag", "dev"), target);
    }

    @Test
    void aConfiguredTokenDoesNotPickUpTheDevProject() throws IOException {
        write(work.resolve("baton-data/credentials.properties"), "admin-token=tr_pat_dev\n");
        Target target = resolve(cli().env("BATON_TOKEN", "tr_pat_env"), null, null, null, null);
        assertEquals("tr_pat_env", target.token());
        assertNull(target.project(), "the dev project goes only with the dev node's token");
    }

    @Test
    void defaultsTakeTheirEnvironmentVariableOverrides() {
        assertEquals(Duration.ofSeconds(1), CliDefaults.load(Map.of()).tailInterval());
        assertEquals(
                Duration.ofMillis(250),
                CliDefaults.load(Map.of("BATON_TAIL_INTERVAL", "250ms")).tailInterval());
    }

    @Test
    void withNoTokenACommandExplainsWhereItLookedAndExits1() {
        CliRunner.Result result = cli().run("whoami");
        assertEquals(1, result.exitCode());
        assertTrue(result.err().startsWith("baton: no token"), result.err());
    }

    @Test
    void anUnreachableNodeIsNamedAndExits1() {
        CliRunner.Result result = cli().run("whoami", "--url", "http://127.0.0.1:1", "--token", "tr_pat_x");
        assertEquals(1, result.exitCode());
        assertTrue(result.err().contains("cannot connect to Baton at http://127.0.0.1:1"), result.err());
    }

    @Test
    void usageErrorsExit2() {
        assertEquals(2, cli().run("runs").exitCode(), "a group without its subcommand");
        assertEquals(2, cli().run("nonsense").exitCode());
        CliRunner.Result missingProject = cli().run("runs", "list", "--token", "tr_pat_x");
        assertEquals(2, missingProject.exitCode());
        assertTrue(missingProject.err().contains("Missing the project"), missingProject.err());
        CliRunner.Result badPayload = cli().run(
                        "runs", "trigger", "t", "--payload", "{nope", "--project", "p", "--env", "dev", "--token", "x");
        assertEquals(2, badPayload.exitCode());
        assertTrue(badPayload.err().contains("not JSON"), badPayload.err());
    }

    @Test
    void helpListsEveryCommand() {
        CliRunner.Result result = cli().run("--help");
        assertEquals(0, result.exitCode());
        for (String command : new String[] {"whoami", "orgs", "projects", "envs", "keys", "tokens", "runs", "tail"}) {
            assertTrue(result.out().contains("  " + command + " "), command + " in " + result.out());
        }
    }
}
