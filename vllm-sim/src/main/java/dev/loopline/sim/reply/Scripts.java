package dev.loopline.sim.reply;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Scripted conversations: a test loads a list of assistant turns and the simulator plays turn N
 * for a request whose history holds N assistant messages, so a multi-round tool loop replays
 * deterministically without any state in the simulator. A script is chosen by the request header
 * {@code x-sim-script: NAME}, or by its {@code match} text appearing in the first user message
 * (which also works through proxies that drop unknown headers).
 *
 * <pre>{"name":"weather","match":"weather in Paris","turns":[
 *   {"tool_calls":[{"name":"get_weather","arguments":{"city":"Paris"}}]},
 *   {"content":"It is sunny."}]}</pre>
 * A turn may carry {@code "reasoning"}: what a reasoning model (a {@code --reasoning-parser}) thinks first;
 * {@code {"rules": true}} leaves a turn to the rules (an answer quoting the tool results, say).
 */
public final class Scripts {
    private final Map<String, Script> byName = new ConcurrentHashMap<>();
    private final ObjectMapper mapper;

    public record Script(String name, String match, List<Reply> turns) {
    }

    public Scripts(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    public Script load(JsonNode spec) {
        String name = spec.path("name").asText("");
        if (name.isBlank()) {
            throw new IllegalArgumentException("a script needs a name");
        }
        JsonNode turnsNode = spec.path("turns");
        if (!turnsNode.isArray() || turnsNode.isEmpty()) {
            throw new IllegalArgumentException("a script needs a non-empty turns array");
        }
        List<Reply> turns = new ArrayList<>();
        for (JsonNode t : turnsNode) {
            if (t.path("rules").asBoolean(false)) {
                turns.add(Reply.RULES);
                continue;
            }
            List<Reply.ToolCall> calls = new ArrayList<>();
            for (JsonNode c : t.path("tool_calls")) {
                JsonNode args = c.path("arguments");
                String argText = args.isTextual() ? args.asText() : PythonJson.dumps(args.isMissingNode() ? mapper.createObjectNode() : args);
                calls.add(new Reply.ToolCall(c.path("name").asText(), argText));
            }
            turns.add(new Reply(t.path("content").asText(""), calls, t.path("reasoning").isTextual() ? t.get("reasoning").asText() : null));
        }
        String match = spec.path("match").isTextual() ? spec.path("match").asText() : null;
        Script s = new Script(name, match, List.copyOf(turns));
        byName.put(name, s);
        return s;
    }

    public void clear() {
        byName.clear();
    }

    public Optional<Script> find(String headerName, String firstUserText) {
        if (headerName != null && byName.containsKey(headerName)) {
            return Optional.of(byName.get(headerName));
        }
        if (firstUserText == null) {
            return Optional.empty();
        }
        return byName.values().stream()
                .filter(s -> s.match() != null && !s.match().isEmpty() && firstUserText.contains(s.match()))
                .findFirst();
    }
}
