package dev.baton.engine.environment;

/** What a credential opens: the management API ({@code tr_…} secret keys) or the worker gateway. */
public enum CredentialKind {
    SECRET_KEY("tr_%s_"),
    WORKER_TOKEN("bw_%s_");

    private final String prefixFormat;

    CredentialKind(String prefixFormat) {
        this.prefixFormat = prefixFormat;
    }

    /** A new random credential for an environment, prefixed like Trigger.dev keys ({@code tr_dev_…}). */
    public String generate(String environmentSlug) {
        return prefixFormat.formatted(environmentSlug) + dev.baton.engine.common.Ids.random(32);
    }
}
