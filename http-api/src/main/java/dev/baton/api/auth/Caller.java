package dev.baton.api.auth;

import dev.baton.engine.environment.Environment;
import java.util.List;

/**
 * Who sent a request: a secret key (full access to its environment) or a public access token (only what its
 * scopes grant, in the environment it was signed for).
 *
 * @param token null for a secret key
 */
public record Caller(Environment environment, PublicToken token) {

    public static Caller secretKey(Environment environment) {
        return new Caller(environment, null);
    }

    public boolean isPublic() {
        return token != null;
    }

    /** A secret key may do anything; a token, what one of its scopes grants on one of the resources. */
    public boolean mayAny(String action, List<Scopes.Resource> resources) {
        return token == null || token.scopes().allowsAny(action, resources);
    }

    /** Every resource must be granted (a batch's tasks: a token for task A must not trigger task B too). */
    public boolean mayEach(String action, List<Scopes.Resource> resources) {
        return token == null
                || (!resources.isEmpty()
                        && resources.stream()
                                .allMatch(resource -> token.scopes().allows(action, resource)));
    }
}
