package dev.baton.engine.environment;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * Trigger.dev's four environment types, each with the slug its keys carry ({@code tr_dev_…}, {@code tr_stg_…})
 * and the env-var routes use, and the names people write for it.
 */
public enum EnvironmentType {
    DEVELOPMENT("dev", "development", "local"),
    STAGING("stg", "staging"),
    PRODUCTION("prod", "production"),
    PREVIEW("preview");

    private final String slug;
    private final String[] aliases;

    EnvironmentType(String slug, String... aliases) {
        this.slug = slug;
        this.aliases = aliases;
    }

    public String slug() {
        return slug;
    }

    /** The type a slug, alias or type name stands for, in any case. */
    public static Optional<EnvironmentType> named(String name) {
        String wanted = name.strip().toLowerCase(Locale.ROOT);
        return Arrays.stream(values())
                .filter(type -> type.slug.equals(wanted)
                        || type.name().toLowerCase(Locale.ROOT).equals(wanted)
                        || Arrays.asList(type.aliases).contains(wanted))
                .findFirst();
    }
}
