package dev.baton.node;

import com.typesafe.config.Config;
import dev.baton.engine.environment.Accounts;
import dev.baton.engine.environment.CredentialKind;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.environment.EnvironmentDirectory;
import dev.baton.engine.environment.Projects;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * The bootstrap environment's secret key and worker token, and the admin's personal access token: taken from
 * configuration when given, else from the credentials file (so a dev restart reuses them), else generated.
 *
 * @param adminToken null when the admin already had a token and none was configured (it is not stored in plain)
 * @param generated whether a credential was made up on this start (and must be shown to the operator)
 */
public record Credentials(
        Environment environment, String secretKey, String workerToken, String adminToken, boolean generated) {

    private static final String SECRET_KEY = "secret-key";
    private static final String WORKER_TOKEN = "worker-token";
    private static final String ADMIN_TOKEN = "admin-token";

    /**
     * Ensures the environment of {@code baton.bootstrap} exists and holds the credentials it should, and that its
     * organization has an admin with a personal access token.
     */
    static Credentials bootstrap(Config bootstrap, EnvironmentDirectory directory) {
        Environment environment =
                directory.ensureEnvironment(bootstrap.getString("project"), bootstrap.getString("environment"));
        String fileSetting = bootstrap.getString("credentials-file");
        Path file = fileSetting.isBlank() ? null : Path.of(fileSetting);
        Properties saved = file == null ? new Properties() : load(file);

        String secretKey = choose(bootstrap.getString("secret-key"), saved.getProperty(SECRET_KEY));
        String workerToken = choose(bootstrap.getString("worker-token"), saved.getProperty(WORKER_TOKEN));
        boolean generated = false;
        if (secretKey == null && (file != null || !directory.hasCredential(environment, CredentialKind.SECRET_KEY))) {
            secretKey = CredentialKind.SECRET_KEY.generate(environment.slug());
            generated = true;
        }
        if (workerToken == null
                && (file != null || !directory.hasCredential(environment, CredentialKind.WORKER_TOKEN))) {
            workerToken = CredentialKind.WORKER_TOKEN.generate(environment.slug());
            generated = true;
        }
        if (secretKey != null) directory.replaceCredential(environment, CredentialKind.SECRET_KEY, secretKey);
        if (workerToken != null) directory.replaceCredential(environment, CredentialKind.WORKER_TOKEN, workerToken);
        String adminToken = choose(bootstrap.getString("admin-token"), saved.getProperty(ADMIN_TOKEN));
        Accounts accounts = new Accounts(directory);
        Accounts.User admin = accounts.ensureUser(bootstrap.getString("admin-email"), "Admin", true);
        Projects projects = new Projects(directory);
        projects.addMember(projects.organizationIdOf(environment), admin);
        if (adminToken != null) {
            accounts.ensureToken(admin, "bootstrap", adminToken);
        } else if (file != null || !accounts.hasToken(admin)) {
            adminToken = accounts.createToken(admin, "bootstrap").secret();
            generated = true;
        }
        if (file != null) {
            saved.setProperty(SECRET_KEY, secretKey);
            saved.setProperty(WORKER_TOKEN, workerToken);
            saved.setProperty(ADMIN_TOKEN, adminToken);
            store(file, saved);
        }
        return new Credentials(environment, secretKey, workerToken, adminToken, generated);
    }

    private static String choose(String configured, String saved) {
        if (configured != null && !configured.isBlank()) return configured;
        return saved == null || saved.isBlank() ? null : saved;
    }

    private static Properties load(Path file) {
        Properties properties = new Properties();
        if (Files.exists(file)) {
            try (Reader reader = Files.newBufferedReader(file)) {
                properties.load(reader);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file, e);
            }
        }
        return properties;
    }

    private static void store(Path file, Properties properties) {
        try {
            if (file.getParent() != null) Files.createDirectories(file.getParent());
            try (Writer writer = Files.newBufferedWriter(file)) {
                properties.store(writer, "Baton dev credentials (plain text: for development only)");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
