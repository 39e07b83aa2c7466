package dev.baton.engine.environment;

import dev.baton.engine.common.Ids;

/**
 * What a credential opens: the API of one environment (secret keys) or its worker gateway (worker tokens).
 * Secret keys take the form the Trigger.dev SDK knows as an additional API key ({@code tr_dev_sk_} and 24
 * letters and digits): for such keys the SDK asks the server to sign public access tokens instead of signing them
 * with the key itself, which Baton could not verify, since it keeps only the key's hash.
 */
public enum CredentialKind {
    SECRET_KEY("tr_%s_sk_", 24),
    WORKER_TOKEN("bw_%s_", 32);

    /** How many characters of the random part the listed prefix shows. */
    private static final int SHOWN_RANDOM_CHARACTERS = 4;

    private final String prefixFormat;
    private final int randomLength;

    CredentialKind(String prefixFormat, int randomLength) {
        this.prefixFormat = prefixFormat;
        this.randomLength = randomLength;
    }

    /** A new random credential for an environment, prefixed like Trigger.dev keys ({@code tr_dev_sk_…}). */
    public String generate(String environmentSlug) {
        return prefixFormat.formatted(environmentSlug) + Ids.random(randomLength);
    }

    /** What a list may show of a credential: its fixed prefix and the first few random characters. */
    public static String shownPrefix(String credential) {
        int fixed = credential.startsWith("tr_") && credential.contains("_sk_")
                ? credential.indexOf("_sk_") + 4
                : credential.indexOf('_', credential.indexOf('_') + 1) + 1;
        return credential.substring(0, Math.min(credential.length(), fixed + SHOWN_RANDOM_CHARACTERS));
    }
}
