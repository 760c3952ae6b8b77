package dev.loopline.responses.lifecycle;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.auth.Principal;
import dev.loopline.common.json.Json;
import dev.loopline.responses.store.ResponseStore;

/**
 * Where a response's final state is written: a new row for a response created and run in one
 * request, or the {@code queued} row a background response replaces.
 */
public interface Settlement {
    /** The response starts: from here on it can be read ({@code in_progress}) and deleted. */
    void begin(ObjectNode inProgress, ArrayNode input);

    /** Writes the final response and its items; false when it may no longer be written (cancelled meanwhile). */
    boolean write(ObjectNode response, ArrayNode input, ArrayNode output);

    /** The response was cancelled while it ran. */
    void cancelled(ObjectNode response, ArrayNode input);

    /** The model service refused the request (the caller's 4xx): what {@link #begin} stored goes, as if never made. */
    void discard(String responseId);

    /**
     * Whether a request the model service refused ends as a stored failure (a background response,
     * whose queued row exists) rather than as the caller's error with nothing stored.
     */
    boolean storesRefusals();

    /**
     * A response created and run by one request: stored (when {@code store} is true) as
     * {@code in_progress} with its input when it starts, so that it can be read and deleted while
     * it runs, and finished when settled. A response deleted while it ran stays deleted; its
     * caller still gets the answer.
     */
    static Settlement foreground(ResponseStore store, Principal who, boolean stored) {
        return new Settlement() {
            @Override
            public void begin(ObjectNode inProgress, ArrayNode input) {
                if (stored) {
                    store.save(who.tenantId(), who.userId(), inProgress, input, Json.array());
                }
            }

            @Override
            public boolean write(ObjectNode response, ArrayNode input, ArrayNode output) {
                if (stored) {
                    store.finish(who.tenantId(), response, output);
                }
                return true;
            }

            @Override
            public void cancelled(ObjectNode response, ArrayNode input) {
                if (stored) {
                    store.finish(who.tenantId(), response, Json.array());
                }
            }

            @Override
            public void discard(String responseId) {
                if (stored) {
                    store.delete(who.tenantId(), responseId);
                }
            }

            @Override
            public boolean storesRefusals() {
                return false;
            }
        };
    }

    /** A background response: its queued row is finished, unless it was cancelled meanwhile (the cancel wrote that). */
    static Settlement background(ResponseStore store, Principal who) {
        return new Settlement() {
            @Override
            public void begin(ObjectNode inProgress, ArrayNode input) {
                // stored when queued; a worker's claim made it in_progress
            }

            @Override
            public boolean write(ObjectNode response, ArrayNode input, ArrayNode output) {
                return store.finish(who.tenantId(), response, output);
            }

            @Override
            public void cancelled(ObjectNode response, ArrayNode input) {
                // the cancel request already wrote the cancelled state
            }

            @Override
            public void discard(String responseId) {
                // never: a background response's refusal is stored as its failure
            }

            @Override
            public boolean storesRefusals() {
                return true;
            }
        };
    }
}
