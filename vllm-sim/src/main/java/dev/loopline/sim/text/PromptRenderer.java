package dev.loopline.sim.text;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Renders a chat request the way a ChatML/hermes chat template would (tools in the system turn,
 * tool calls as {@code <tool_call>} blocks, tool results as tool turns), so that prompt token
 * counts and prefix-cache hits behave like a real model's.
 */
public final class PromptRenderer {
    private PromptRenderer() {
    }

    public static String render(JsonNode messages, JsonNode tools, boolean addGenerationPrompt) {
        StringBuilder sb = new StringBuilder(1024);
        boolean systemDone = false;
        if (tools != null && tools.isArray() && !tools.isEmpty()) {
            sb.append("<|im_start|>system\n");
            if (messages.size() > 0 && "system".equals(messages.get(0).path("role").asText())) {
                sb.append(content(messages.get(0))).append("\n\n");
                systemDone = true;
            }
            sb.append("# Tools\n\nYou may call one or more functions to assist with the user query.\n<tools>\n");
            for (JsonNode t : tools) {
                sb.append(t.toString()).append('\n');
            }
            sb.append("</tools>\n<|im_end|>\n");
        }
        for (int i = systemDone ? 1 : 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            String role = m.path("role").asText("user");
            sb.append("<|im_start|>").append(role).append('\n');
            // Reasoning handed back with an assistant turn (vLLM reads `reasoning`, and the older
            // `reasoning_content`) is rendered in think tags. Real templates keep it where the model
            // needs it (gpt-oss between tool calls, Qwen3 after the last user message); the simulator
            // always keeps it, so handing it back costs prompt tokens as it can on a real model.
            String thought = m.path("reasoning").isTextual() ? m.get("reasoning").asText()
                    : m.path("reasoning_content").isTextual() ? m.get("reasoning_content").asText() : null;
            if ("assistant".equals(role) && thought != null && !thought.isEmpty()) {
                sb.append("<think>\n").append(thought).append("\n</think>\n\n");
            }
            sb.append(content(m));
            JsonNode calls = m.path("tool_calls");
            if (calls.isArray()) {
                for (JsonNode c : calls) {
                    sb.append("\n<tool_call>\n{\"name\": \"").append(c.path("function").path("name").asText())
                            .append("\", \"arguments\": ").append(c.path("function").path("arguments").asText()).append("}\n</tool_call>");
                }
            }
            sb.append("<|im_end|>\n");
        }
        if (addGenerationPrompt) {
            sb.append("<|im_start|>assistant\n");
        }
        return sb.toString();
    }

    /**
     * Message content as text: a string, or the parts of a content array, where an image part
     * stands as the {@code <image>} placeholder a multimodal chat template puts in its place.
     */
    public static String content(JsonNode message) {
        JsonNode c = message.path("content");
        if (c.isTextual()) {
            return c.asText();
        }
        if (c.isArray()) {
            StringBuilder sb = new StringBuilder();
            for (JsonNode part : c) {
                if (part.has("text")) {
                    sb.append(part.path("text").asText());
                } else if ("image_url".equals(part.path("type").asText())) {
                    sb.append("<image>");
                }
            }
            return sb.toString();
        }
        return "";
    }
}
