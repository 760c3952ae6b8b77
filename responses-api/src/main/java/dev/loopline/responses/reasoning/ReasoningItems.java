package dev.loopline.responses.reasoning;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.ids.Ids;
import dev.loopline.common.json.Json;
import dev.loopline.responses.api.ReasoningOptions;
import dev.loopline.responses.seal.ContentSeal;

import java.util.Arrays;
import java.util.List;

/**
 * Reasoning items of one response: built from what a reasoning model (vLLM's {@code reasoning})
 * thought before it answered or called tools, and read back when a later request hands them in.
 *
 * <p>An item's {@code content} is the reasoning text ({@code reasoning_text}). Its {@code summary}
 * is filled only when the request asks for one ({@code reasoning.summary}), and loopline has no
 * separate summarizing model: a summary is the model's own reasoning, one {@code summary_text} part
 * per paragraph ({@code concise}: the first paragraph only). {@code encrypted_content} (with
 * {@code include: ["reasoning.encrypted_content"]}) is the text sealed for the caller's tenant
 * ({@link ContentSeal}), so a {@code store: false} client can send it back.
 */
public final class ReasoningItems {
    private final ReasoningOptions options;
    private final ContentSeal seal;
    private final String tenantId;
    private final boolean includeSealed;

    public ReasoningItems(ReasoningOptions options, boolean includeSealed, ContentSeal seal, String tenantId) {
        this.options = options;
        this.includeSealed = includeSealed;
        this.seal = seal;
        this.tenantId = tenantId;
    }

    /** An item whose text is still arriving (streamed): empty content and summary, {@code in_progress}. */
    public ObjectNode started() {
        ObjectNode item = Json.object().put("id", Ids.next("rs")).put("type", "reasoning");
        item.putArray("summary");
        item.putArray("content");
        item.put("status", "in_progress");
        return item;
    }

    /** {@code item} (from {@link #started}, or null for a new one) completed with the whole text. */
    public ObjectNode finished(ObjectNode item, String text, String status) {
        ObjectNode done = item == null ? started() : item;
        ArrayNode summary = done.putArray("summary");
        for (String part : summaryParts(text)) {
            summary.addObject().put("type", "summary_text").put("text", part);
        }
        done.putArray("content").addObject().put("type", "reasoning_text").put("text", text);
        if (includeSealed) {
            done.put("encrypted_content", seal.seal(ContentSeal.Kind.REASONING, text, tenantId));
        }
        done.put("status", status);
        return done;
    }

    /** The summary parts for this text: none unless asked for; paragraphs of the reasoning itself. */
    public List<String> summaryParts(String text) {
        if (options.summary() == null || text.isBlank()) {
            return List.of();
        }
        List<String> paragraphs = Arrays.stream(text.strip().split("\\n\\s*\\n")).map(String::strip)
                .filter(p -> !p.isEmpty()).toList();
        return options.summary().equals("concise") ? paragraphs.subList(0, 1) : paragraphs;
    }

    /**
     * The reasoning text of an item handed back (input, or a stored earlier output): its content,
     * else its sealed form opened for this tenant (400 if it is not valid), else its summary.
     *
     * @param where the item's place in the request ({@code input[3]}), or null for a stored item
     */
    public String text(JsonNode item, String where) {
        StringBuilder sb = new StringBuilder();
        for (JsonNode part : item.path("content")) {
            sb.append(part.path("text").asText());
        }
        if (sb.isEmpty() && item.path("encrypted_content").isTextual()) {
            return seal.open(ContentSeal.Kind.REASONING, item.get("encrypted_content").asText(), tenantId, (where == null ? "item" : where) + ".encrypted_content");
        }
        if (sb.isEmpty()) {
            for (JsonNode part : item.path("summary")) {
                sb.append(sb.isEmpty() ? "" : "\n\n").append(part.path("text").asText());
            }
        }
        return sb.toString();
    }

    public ReasoningOptions options() {
        return options;
    }
}
