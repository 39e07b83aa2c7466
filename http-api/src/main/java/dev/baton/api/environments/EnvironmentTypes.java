package dev.baton.api.environments;

import java.util.Locale;

/**
 * Trigger.dev's environment types ({@code DEVELOPMENT}, {@code STAGING}, {@code PRODUCTION}, {@code PREVIEW})
 * for Baton's environment slugs, and the short names the SDK filters on ({@code dev}, {@code staging},
 * {@code prod}, {@code preview}).
 */
public final class EnvironmentTypes {

    private EnvironmentTypes() {}

    /** The type of an environment with this slug; a slug Baton does not recognise is its upper-case self. */
    public static String typeOf(String slug) {
        return switch (slug.toLowerCase(Locale.ROOT)) {
            case "dev", "development", "local" -> "DEVELOPMENT";
            case "stg", "staging" -> "STAGING";
            case "prod", "production" -> "PRODUCTION";
            case "preview" -> "PREVIEW";
            default -> slug.toUpperCase(Locale.ROOT);
        };
    }

    /** Whether {@code name} (a slug, a short name or a type, any case) names the environment with {@code slug}. */
    public static boolean names(String name, String slug) {
        String wanted = name.trim();
        return wanted.equalsIgnoreCase(slug) || typeOf(wanted).equals(typeOf(slug));
    }
}
