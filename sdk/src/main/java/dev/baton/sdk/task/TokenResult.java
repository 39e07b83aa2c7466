package dev.baton.sdk.task;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.baton.sdk.internal.json.Json;
import java.util.Objects;

/**
 * How a waitpoint token waited for by {@link TaskContext#waitForToken} ended: completed with its
 * data, or not (timed out: {@link #isTimeout()}; or unknown to the server).
 */
public final class TokenResult {

    /** The error name of a token that timed out before it was completed. */
    public static final String TIMEOUT = "TRIGGER_WAITPOINT_TIMEOUT";

    private final String tokenId;
    private final JsonNode data;
    private final TaskError error;

    /** @param data the data the token was completed with (null: JSON null); ignored when {@code error} is set */
    public TokenResult(String tokenId, JsonNode data, TaskError error) {
        this.tokenId = tokenId;
        this.error = error;
        this.data = error != null ? null : data == null ? NullNode.getInstance() : data;
    }

    public String tokenId() {
        return tokenId;
    }

    /** True when the token was completed. */
    public boolean ok() {
        return error == null;
    }

    /** True when the token timed out before anyone completed it. */
    public boolean isTimeout() {
        return error != null && TIMEOUT.equals(error.name());
    }

    /** The data the token was completed with ({@code NullNode} for none); null when it was not completed. */
    public JsonNode data() {
        return data;
    }

    /**
     * The token's data decoded into {@code type} (null when it has none).
     *
     * @throws IllegalStateException when the token was not completed (check {@link #ok()})
     * @throws IllegalArgumentException when the data does not fit the type
     */
    public <T> T dataAs(Class<T> type) {
        return Json.decode(requireData(), Json.mapper().constructType(type), "data of token " + tokenId);
    }

    /** Like {@link #dataAs(Class)}, for generic types such as {@code Map<String, Object>}. */
    public <T> T dataAs(TypeReference<T> type) {
        return Json.decode(requireData(), Json.mapper().constructType(type), "data of token " + tokenId);
    }

    private JsonNode requireData() {
        if (error != null) {
            throw new IllegalStateException("token " + tokenId + " was not completed: "
                    + (error.name() == null ? "" : error.name() + ": ") + error.message());
        }
        return data;
    }

    /** Why the token was not completed, e.g. name {@link #TIMEOUT}; null when it was. */
    public TaskError error() {
        return error;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof TokenResult that
                && Objects.equals(tokenId, that.tokenId)
                && Objects.equals(data, that.data)
                && Objects.equals(error, that.error);
    }

    @Override
    public int hashCode() {
        return Objects.hash(tokenId, data, error);
    }

    @Override
    public String toString() {
        return ok() ? "TokenResult[" + tokenId + " " + data + "]" : "TokenResult[" + tokenId + " " + error + "]";
    }
}
