package dev.loopline.responses.loop;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * The model as the loop calls it: one chat completion per call (llm-proxy's
 * {@code /v1/chat/completions} in production, {@code model.ChatCompletionsClient}; fakes in tests).
 */
public interface Model {
    /**
     * @param request the chat completions request (model, messages, tools, tool_choice, sampling…)
     * @return the reply, assembled from the chunks when streamed
     * @throws ModelFailure the model, or the way to it, failed (5xx, unreachable, timed out, cancelled)
     * @throws dev.loopline.common.errors.ApiException the model service refused the request (4xx:
     *         unknown model, context too long…), as the caller's error
     */
    ModelReply complete(ObjectNode request, Hooks hooks);

    /**
     * @param onText      null for a plain call; else the call is streamed and text deltas arrive here as they come
     * @param onReasoning when streamed, a reasoning model's reasoning deltas (they come before the text)
     * @param onCancel    receives how to abort the call (the response may be cancelled while it runs)
     * @param modelNanos  told how long the model server itself took, when the path says so ({@code Server-Timing})
     */
    record Hooks(Consumer<String> onText, Consumer<String> onReasoning, Consumer<Runnable> onCancel, LongConsumer modelNanos) {
        /** A plain (not streamed) call. */
        public static Hooks plain(Consumer<Runnable> onCancel, LongConsumer modelNanos) {
            return new Hooks(null, null, onCancel, modelNanos);
        }

        public boolean streamed() {
            return onText != null;
        }
    }
}
