package dev.baton.api.runs;

import dev.baton.api.config.HttpSettings;
import dev.baton.api.errors.ApiException;
import dev.baton.engine.run.TriggerOptions;
import dev.baton.engine.run.TriggerOptions.InvalidOptionException;
import java.time.Clock;

/**
 * The engine's trigger-option rules ({@link TriggerOptions}, shared with the worker protocol's child runs) as the
 * HTTP API applies them: with the limits of {@code baton.http}, and refusals answered 400, 422 or 413.
 */
final class ApiTriggerOptions {

    private ApiTriggerOptions() {}

    static TriggerOptions create(HttpSettings settings, Clock clock) {
        return new TriggerOptions(
                new TriggerOptions.Limits(
                        settings.maxMetadataSize(),
                        settings.maxTags(),
                        settings.maxTagLength(),
                        settings.maxIdempotencyKeyLength(),
                        settings.maxConcurrencyKeyLength(),
                        settings.maxDelay(),
                        settings.maxTtl()),
                clock);
    }

    /** The answer to a refused option: {@code {"error": message}} with the status Trigger.dev gives it. */
    static ApiException refusal(InvalidOptionException refused) {
        return switch (refused.refusal()) {
            case MALFORMED -> ApiException.badRequest(refused.getMessage());
            case UNPROCESSABLE -> ApiException.unprocessable(refused.getMessage());
            case TOO_LARGE -> ApiException.tooLarge(refused.getMessage());
        };
    }
}
