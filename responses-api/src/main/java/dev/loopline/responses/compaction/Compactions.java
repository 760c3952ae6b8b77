package dev.loopline.responses.compaction;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.ids.Ids;
import dev.loopline.common.json.Json;
import dev.loopline.responses.api.Usage;
import dev.loopline.responses.loop.Model;
import dev.loopline.responses.loop.ModelReply;
import dev.loopline.responses.seal.ContentSeal;

import java.util.List;

/**
 * Compaction, as {@code POST /v1/responses/compact} and {@code context_management} do it: the
 * model summarises the context so far (through llm-proxy, like any model call), and the summary
 * becomes a {@code compaction} item whose {@code encrypted_content} is sealed for the tenant
 * ({@link ContentSeal}): a client keeps it and sends it back as input, and cannot read or alter it.
 * <p>
 * In a context, a compaction item stands for everything before it except the user's messages
 * (which the compacted output keeps, as OpenAI's does) and the instructions; the model reads its
 * summary, at its place, as a note in the user's turn (a system message is refused mid-conversation
 * by several open models' chat templates).
 */
public final class Compactions {
    /** What the model is asked, after the context, to make the summary. */
    static final String PROMPT = """
            You are performing a CONTEXT CHECKPOINT COMPACTION. Do not answer or continue the conversation above. Write a \
            summary of it that lets you carry on without the original: the user's goals, constraints and preferences; what \
            was decided and why; facts found, with their sources (URLs, file names); tool results that still matter; work \
            done and work still open, including the latest request if it is not finished. Be complete but concise; plain text.""";
    private final ContentSeal seal;
    private final String tenantId;

    public Compactions(ContentSeal seal, String tenantId) {
        this.seal = seal;
        this.tenantId = tenantId;
    }

    /** A summary and what making it cost. */
    public record Summary(String text, Usage usage) {
    }

    /**
     * Asks the model for the summary of {@code messages} (chat messages, not changed).
     *
     * @param options the call's other fields (model, reasoning effort, priority), copied
     */
    public static Summary summarise(Model model, ObjectNode options, ArrayNode messages) {
        ObjectNode call = options.deepCopy();
        ArrayNode all = messages.deepCopy();
        all.addObject().put("role", "user").put("content", PROMPT);
        call.set("messages", all);
        call.remove(List.of("tools", "tool_choice", "parallel_tool_calls", "response_format", "logprobs", "top_logprobs"));
        ModelReply reply = model.complete(call, Model.Hooks.plain(abort -> {
        }, nanos -> {
        }));
        String text = reply.text().strip();
        if (text.isEmpty()) {
            text = "(The conversation so far had nothing to summarise.)";
        }
        return new Summary(text, reply.usage());
    }

    /** The compaction item for a summary. */
    public ObjectNode item(String summary) {
        return Json.object().put("id", Ids.next("cmp")).put("type", "compaction")
                .put("encrypted_content", seal.seal(ContentSeal.Kind.COMPACTION, summary, tenantId));
    }

    /** The summary in a compaction item; a blob that is not this tenant's, or was altered, is the caller's 400 naming {@code where}. */
    public String summary(JsonNode item, String where) {
        return seal.open(ContentSeal.Kind.COMPACTION, item.path("encrypted_content").asText(), tenantId,
                (where == null ? "item" : where) + ".encrypted_content");
    }

    /** The summary as the model reads it in a later context. */
    public static String asContext(String summary) {
        return "[Context checkpoint] Summary of the conversation before this point, written by you:\n" + summary
                + "\n[End of summary. Continue from here.]";
    }
}
