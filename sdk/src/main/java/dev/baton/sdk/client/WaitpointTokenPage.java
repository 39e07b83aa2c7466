package dev.baton.sdk.client;

import java.util.List;

/**
 * A page of waitpoint tokens, newest first.
 *
 * @param next     the cursor of the older tokens after this page, or null on the last page
 * @param previous the cursor of the newer tokens before this page, or null on the first page
 */
public record WaitpointTokenPage(List<WaitpointToken> data, String next, String previous) {

    public WaitpointTokenPage {
        data = List.copyOf(data);
    }
}
