package dev.loopline.responses.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.errors.ApiException;

import java.util.List;

/**
 * The request fields that shape the model calls beyond sampling, each honoured, refused with a 400
 * naming it, or (only where docs/api.md says why) accepted without effect. None is dropped silently.
 *
 * @param serviceTier as asked ({@code auto} when not), echoed; {@code priority} and {@code flex}
 *                    become vLLM's request {@code priority} (served first, or last, when vLLM runs
 *                    with {@code --scheduling-policy priority}; otherwise vLLM ignores it)
 * @param topLogprobs 0-20, or null: the model's log-probabilities of each output token and its
 *                    alternatives ({@code message.output_text.logprobs})
 * @param verbosity   low, medium or high, or null: a sentence of instruction to the model (there
 *                    is no sampling parameter for it)
 * @param compactThreshold {@code context_management: [{type: compaction, compact_threshold}]}: when
 *                    the context reaches this many tokens, it is compacted before the model is
 *                    called; null when not asked
 */
public record ModelOptions(String serviceTier, Integer topLogprobs, String verbosity, Integer compactThreshold) {
    /** The threshold when {@code context_management} names compaction without one. */
    static final int DEFAULT_COMPACT_THRESHOLD = 100_000;
    static final List<String> TIERS = List.of("auto", "default", "flex", "scale", "priority", "fast");
    static final List<String> VERBOSITIES = List.of("low", "medium", "high");

    static ModelOptions parse(ObjectNode b) {
        refused(b, "prompt", "Stored prompt templates ('prompt') need a Prompts API, which this server does not have yet; "
                + "send 'instructions' and 'input' instead.");
        refused(b, "moderation", "'moderation' is not supported by this server yet.");
        refused(b, "prompt_cache_options", "'prompt_cache_options' (explicit cache breakpoints) has no equivalent on vLLM, "
                + "whose prefix cache is automatic; leave it out.");
        JsonNode retention = b.get("prompt_cache_retention");
        if (retention != null && !retention.isNull() && !(retention.isTextual() && retention.asText().equals("in_memory"))) {
            throw ApiException.badRequest("prompt_cache_retention", "Only 'in_memory' prompt cache retention is available: vLLM's prefix cache "
                    + "lives in GPU memory.", "unsupported_parameter");
        }
        JsonNode so = b.get("stream_options");
        if (so != null && !so.isNull()) {
            if (!so.isObject()) {
                throw ApiException.badRequest("stream_options", "Invalid type for 'stream_options': expected an object.");
            }
            JsonNode obfuscation = so.get("include_obfuscation");
            if (obfuscation != null && !obfuscation.isNull() && !obfuscation.isBoolean()) {
                throw ApiException.badRequest("stream_options.include_obfuscation", "Invalid type for 'stream_options.include_obfuscation': "
                        + "expected a boolean.");
            }
        }
        String tier = oneOf(b, "service_tier", TIERS, "service_tier");
        JsonNode top = b.get("top_logprobs");
        Integer topLogprobs = null;
        if (top != null && !top.isNull()) {
            if (!top.isIntegralNumber() || top.asInt() < 0 || top.asInt() > 20) {
                throw ApiException.badRequest("top_logprobs", "Invalid 'top_logprobs': an integer from 0 to 20.");
            }
            topLogprobs = top.asInt();
        }
        JsonNode text = b.path("text");
        String verbosity = text.isObject() ? oneOf(text, "verbosity", VERBOSITIES, "text.verbosity") : null;
        return new ModelOptions(tier == null ? "auto" : tier, topLogprobs, verbosity, compactThreshold(b.get("context_management")));
    }

    /** {@code context_management}: null, or an array of at most one {@code {type: compaction, compact_threshold?: ≥ 1000}}. */
    private static Integer compactThreshold(JsonNode cm) {
        if (cm == null || cm.isNull()) {
            return null;
        }
        if (!cm.isArray()) {
            throw ApiException.badRequest("context_management", "Invalid type for 'context_management': expected an array.");
        }
        Integer threshold = null;
        for (int i = 0; i < cm.size(); i++) {
            String at = "context_management[" + i + "]";
            JsonNode entry = cm.get(i);
            if (!"compaction".equals(entry.path("type").asText())) {
                throw ApiException.badRequest(at + ".type", "Invalid value for '" + at + ".type': only 'compaction' is supported.");
            }
            if (threshold != null) {
                throw ApiException.badRequest(at, "'context_management' may name compaction once.");
            }
            JsonNode t = entry.get("compact_threshold");
            if (t == null || t.isNull()) {
                threshold = DEFAULT_COMPACT_THRESHOLD;
            } else if (!t.isIntegralNumber() || t.asLong() < 1000 || t.asLong() > Integer.MAX_VALUE) {
                throw ApiException.badRequest(at + ".compact_threshold", "Invalid '" + at + ".compact_threshold': an integer of at least 1000.");
            } else {
                threshold = t.asInt();
            }
        }
        return threshold;
    }

    /** vLLM's request {@code priority} for the tier (lower is served first), or null for the default. */
    public Integer vllmPriority() {
        return switch (serviceTier) {
            case "priority", "fast" -> -1;
            case "flex" -> 1;
            default -> null;
        };
    }

    /** The tier as the response shows it (OpenAI shows {@code fast} as {@code priority}, and {@code auto} as {@code default}). */
    public String echoedTier() {
        return switch (serviceTier) {
            case "fast" -> "priority";
            case "auto" -> "default";
            default -> serviceTier;
        };
    }

    /** The instruction verbosity adds, or null. */
    public String verbosityInstruction() {
        return verbosity == null ? null : switch (verbosity) {
            case "low" -> "Answer concisely: as few words as the question needs.";
            case "high" -> "Answer thoroughly, with detail and explanation.";
            default -> null;
        };
    }

    private static void refused(ObjectNode b, String field, String message) {
        JsonNode v = b.get(field);
        if (v != null && !v.isNull()) {
            throw ApiException.badRequest(field, message, "unsupported_parameter");
        }
    }

    private static String oneOf(JsonNode o, String field, List<String> allowed, String param) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual() || !allowed.contains(v.asText())) {
            throw ApiException.badRequest(param, "Invalid value for '" + param + "': expected one of " + String.join(", ", allowed) + ".");
        }
        return v.asText();
    }
}
