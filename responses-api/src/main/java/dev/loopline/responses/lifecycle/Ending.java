package dev.loopline.responses.lifecycle;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.errors.ApiException;
import dev.loopline.responses.api.ResponseError;

/** How a response's run ended, as {@link ResponseLifecycle#execute} reports it to the request that waits (or the stream). */
public sealed interface Ending {
    /** Settled: {@code completed} or {@code incomplete}, stored when asked to be. */
    record Completed(ObjectNode response) implements Ending {
    }

    /** Failed (the model, a tool server or loopline itself): stored failed with its error. */
    record Failed(ObjectNode response, ResponseError error) implements Ending {
    }

    /** The model service refused the request (a 4xx, e.g. an unknown model): the caller's error; nothing stored. */
    record Rejected(ApiException error) implements Ending {
    }

    /** Cancelled while it ran (the streaming client left, or a cancel request). */
    record Cancelled() implements Ending {
    }
}
