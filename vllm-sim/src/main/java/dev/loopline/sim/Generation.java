package dev.loopline.sim;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.sim.reply.Reply;
import dev.loopline.sim.reply.ReplyPlanner.ToolMode;
import dev.loopline.sim.text.Tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Turns a planned {@link Reply} into what vLLM would emit for one choice: the engine steps (one
 * token each; tag tokens of the hermes format produce no chunk), the finish reason after
 * {@code max_tokens} and {@code stop}, and the token counts (EOS included, as vLLM counts it).
 * A reasoning model's reasoning comes first, between think tags that produce no chunk, as
 * {@code reasoning} deltas (none when the request says {@code include_reasoning: false}; its tokens
 * still count).
 */
final class Generation {
    /** One engine step: the delta it streams, or null for a token that streams nothing. */
    record Step(ObjectNode delta, String piece) {
    }

    /** @param reasoning what the message's {@code reasoning} says: null when the model did not reason or it is not included */
    record Choice(String content, List<ObjectNode> toolCalls, String finishReason, String stopReason,
                  int completionTokens, List<Step> steps, String reasoning) {
    }

    private Generation() {
    }

    static String hexId() {
        byte[] b = new byte[8];
        ThreadLocalRandom.current().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    static Choice chat(ObjectMapper json, Tokenizer tok, Reply reply, ChatRequest r, boolean parser, int maxTokens) {
        List<Step> steps = new ArrayList<>();
        List<ObjectNode> calls = new ArrayList<>();
        String content = reply.content();
        String stopReason = null;
        boolean stoppedByString = false;
        for (String s : r.stop()) {
            int at = content.indexOf(s);
            if (!s.isEmpty() && at >= 0) {
                content = content.substring(0, at);
                stopReason = s;
                stoppedByString = true;
            }
        }
        boolean guided = r.toolMode() == ToolMode.NAMED || r.toolMode() == ToolMode.REQUIRED;
        int reasoningSteps = 0;
        if (reply.reasoning() != null) {
            for (String p : tok.pieces("<think>\n")) {
                steps.add(new Step(null, p));
            }
            for (String piece : tok.pieces(reply.reasoning())) {
                ObjectNode d = null;
                if (r.includeReasoning()) {
                    d = json.createObjectNode().put("reasoning", piece);
                    d.set("tool_calls", json.createArrayNode());
                }
                steps.add(new Step(d, piece));
            }
            reasoningSteps = steps.size();
            for (String p : tok.pieces("\n</think>\n\n")) {
                steps.add(new Step(null, p));
            }
        }
        for (String piece : guided ? List.<String>of() : tok.pieces(content)) {
            ObjectNode d = json.createObjectNode().put("content", piece);
            if (parser) {
                d.set("tool_calls", json.createArrayNode());
            }
            steps.add(new Step(d, piece));
        }
        List<Reply.ToolCall> toolCalls = stoppedByString ? List.of() : reply.toolCalls();
        if (!r.parallelToolCalls() && toolCalls.size() > 1) {
            toolCalls = toolCalls.subList(0, 1);
        }
        for (int i = 0; i < toolCalls.size(); i++) {
            Reply.ToolCall call = toolCalls.get(i);
            String id = "chatcmpl-tool-" + hexId();
            ObjectNode full = json.createObjectNode().put("id", id).put("type", "function");
            full.putObject("function").put("name", call.name()).put("arguments", call.arguments());
            calls.add(full);
            List<String> argPieces = tok.pieces(call.arguments());
            if (r.toolMode() == ToolMode.NAMED) {
                // Guided straight to the parameters JSON: the first delta carries the name and the first fragment.
                for (int k = 0; k < argPieces.size(); k++) {
                    ObjectNode tc = json.createObjectNode();
                    if (k == 0) {
                        tc.put("id", id).put("type", "function").put("index", i);
                        tc.putObject("function").put("name", call.name()).put("arguments", argPieces.get(k));
                    } else {
                        tc.put("index", i).putObject("function").put("arguments", argPieces.get(k));
                    }
                    ObjectNode d = json.createObjectNode();
                    d.putArray("tool_calls").add(tc);
                    steps.add(new Step(d, argPieces.get(k)));
                }
                continue;
            }
            String prefix = guided ? (i == 0 ? "[" : ", ") + "{\"name\": \"" : "<tool_call>\n{\"name\": \"";
            for (String p : tok.pieces(prefix)) {
                steps.add(new Step(null, p));
            }
            ObjectNode head = json.createObjectNode();
            head.putNull("content");
            ObjectNode tc = head.putArray("tool_calls").addObject();
            tc.put("id", id).put("type", "function").put("index", i);
            tc.putObject("function").put("name", call.name());
            List<String> namePieces = tok.pieces(call.name());
            steps.add(new Step(head, call.name()));
            for (int k = 1; k < namePieces.size(); k++) {
                steps.add(new Step(null, namePieces.get(k)));
            }
            for (String p : tok.pieces(guided ? "\", \"parameters\": " : "\", \"arguments\": ")) {
                steps.add(new Step(null, p));
            }
            for (String p : argPieces) {
                ObjectNode d = json.createObjectNode();
                d.putNull("content");
                d.putArray("tool_calls").addObject().put("index", i).putObject("function").put("arguments", p);
                steps.add(new Step(d, p));
            }
            String suffix = guided ? (i == toolCalls.size() - 1 ? "}]" : "}") : "}\n</tool_call>";
            for (String p : tok.pieces(suffix)) {
                steps.add(new Step(null, p));
            }
        }
        String finish;
        String reasoning = reply.reasoning();
        if (steps.size() >= maxTokens) {
            List<Step> cut = new ArrayList<>(steps.subList(0, maxTokens));
            steps.clear();
            steps.addAll(cut);
            finish = "length";
            stopReason = null;
            // What was generated before the cut, as raw text: a truncated call does not parse.
            StringBuilder raw = new StringBuilder();
            StringBuilder thought = new StringBuilder();
            int headerSteps = reply.reasoning() == null ? 0 : tok.pieces("<think>\n").size();
            for (int i = 0; i < steps.size(); i++) {
                if (reply.reasoning() == null || i >= reasoningSteps + tok.pieces("\n</think>\n\n").size()) {
                    raw.append(steps.get(i).piece());
                } else if (i >= headerSteps && i < reasoningSteps) {
                    thought.append(steps.get(i).piece());
                }
            }
            content = guided ? "" : raw.toString();
            reasoning = reply.reasoning() == null ? null : thought.toString();
            calls.clear();
        } else {
            finish = calls.isEmpty() || r.toolMode() == ToolMode.NAMED ? "stop" : "tool_calls";
            ObjectNode eos = json.createObjectNode();
            if (!parser) {
                eos.put("content", "");
            }
            steps.add(new Step(eos, ""));
        }
        String finalContent;
        if (guided) {
            finalContent = "";
        } else if (!calls.isEmpty()) {
            finalContent = content.isEmpty() ? null : content;
        } else {
            finalContent = content;
        }
        return new Choice(finalContent, calls, finish, stopReason, steps.size(), steps, r.includeReasoning() ? reasoning : null);
    }

    static Choice completion(ObjectMapper json, Tokenizer tok, String text, ChatRequest r, int maxTokens) {
        String content = text;
        String stopReason = null;
        for (String s : r.stop()) {
            int at = content.indexOf(s);
            if (!s.isEmpty() && at >= 0) {
                content = content.substring(0, at);
                stopReason = s;
            }
        }
        List<Step> steps = new ArrayList<>();
        for (String p : tok.pieces(content)) {
            steps.add(new Step(json.createObjectNode().put("text", p), p));
        }
        String finish = "stop";
        if (steps.size() >= maxTokens) {
            steps = new ArrayList<>(steps.subList(0, maxTokens));
            finish = "length";
            stopReason = null;
            StringBuilder sb = new StringBuilder();
            steps.forEach(s -> sb.append(s.piece()));
            content = sb.toString();
        } else {
            steps.add(new Step(json.createObjectNode().put("text", ""), ""));
        }
        return new Choice(content, List.of(), finish, stopReason, steps.size(), steps, null);
    }

    /** Deterministic synthetic log-probabilities (there is no model to ask). */
    static ObjectNode logprob(ObjectMapper json, String piece, int index, int top) {
        ObjectNode lp = json.createObjectNode();
        double v = -0.001 * (1 + Math.floorMod(piece.hashCode() + index, 97));
        lp.put("token", piece).put("logprob", v);
        ArrayNode bytes = lp.putArray("bytes");
        for (byte b : piece.getBytes(StandardCharsets.UTF_8)) {
            bytes.add(b & 0xff);
        }
        ArrayNode tops = lp.putArray("top_logprobs");
        for (int i = 0; i < Math.max(top, 0); i++) {
            ObjectNode t = tops.addObject();
            t.put("token", i == 0 ? piece : piece + "_" + i).put("logprob", i == 0 ? v : v - i);
            ArrayNode tb = t.putArray("bytes");
            for (byte b : (i == 0 ? piece : piece + "_" + i).getBytes(StandardCharsets.UTF_8)) {
                tb.add(b & 0xff);
            }
        }
        return lp;
    }
}
