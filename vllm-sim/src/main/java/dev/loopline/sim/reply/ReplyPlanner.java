package dev.loopline.sim.reply;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.sim.text.PromptRenderer;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Decides what the simulated model says. A loaded script wins; otherwise the rules:
 * <ul>
 *   <li>tools offered (and allowed) and the last message is the user's: call the tool whose
 *       name and description best match the user's words, with arguments built from its JSON
 *       schema (query-, url- and code-like fields taken from the user's text);</li>
 *   <li>the last messages are tool results: answer by quoting from them, so a test can see the
 *       answer used the tool output;</li>
 *   <li>otherwise a short deterministic answer that says it comes from the simulator.</li>
 * </ul>
 * Nothing here knows any test's expected answer.
 */
public final class ReplyPlanner {
    private static final Pattern WORD = Pattern.compile("[\\p{L}\\p{N}]+");
    private static final Pattern URL = Pattern.compile("https?://[^\\s\"'<>)]+");
    private static final Pattern CODE_BLOCK = Pattern.compile("```(?:[a-zA-Z0-9]*)\\n(.*?)```", Pattern.DOTALL);
    private static final Set<String> STOP = Set.of("the", "a", "an", "of", "to", "in", "on", "for", "and", "or", "is",
            "are", "what", "who", "how", "me", "please", "with", "about", "that", "this", "it", "be", "can", "you", "i");
    private static final Set<String> QUERY_FIELDS = Set.of("query", "q", "search", "search_query", "question", "prompt",
            "text", "input", "topic", "keywords", "term", "message");
    private static final Set<String> URL_FIELDS = Set.of("url", "uri", "link", "href", "page");
    private static final Set<String> CODE_FIELDS = Set.of("code", "source", "script", "program", "python");

    private final ObjectMapper mapper;
    private final Scripts scripts;

    public ReplyPlanner(ObjectMapper mapper, Scripts scripts) {
        this.mapper = mapper;
        this.scripts = scripts;
    }

    /** What the tool_choice of the request allows. */
    public enum ToolMode { NONE, AUTO, REQUIRED, NAMED }

    public Reply plan(JsonNode messages, JsonNode tools, ToolMode mode, String namedTool, String scriptHeader) {
        List<JsonNode> msgs = new ArrayList<>();
        messages.forEach(msgs::add);
        String firstUser = msgs.stream().filter(m -> "user".equals(m.path("role").asText()))
                .map(PromptRenderer::content).findFirst().orElse("");
        var script = scripts.find(scriptHeader, firstUser);
        if (script.isPresent()) {
            int turn = (int) msgs.stream().filter(m -> "assistant".equals(m.path("role").asText())).count();
            if (turn < script.get().turns().size() && script.get().turns().get(turn) != Reply.RULES) {
                return script.get().turns().get(turn);
            }
        }
        JsonNode last = msgs.isEmpty() ? mapper.createObjectNode() : msgs.getLast();
        String lastRole = last.path("role").asText();
        boolean toolsOffered = tools != null && tools.isArray() && !tools.isEmpty() && mode != ToolMode.NONE;
        String lastUser = lastUserText(msgs);

        if (toolsOffered && (mode == ToolMode.NAMED || mode == ToolMode.REQUIRED || !"tool".equals(lastRole))) {
            if ("user".equals(lastRole) || mode != ToolMode.AUTO) {
                JsonNode tool = mode == ToolMode.NAMED ? findTool(tools, namedTool) : bestTool(tools, lastUser);
                String name = tool.path("function").path("name").asText();
                ObjectNode args = arguments(tool.path("function").path("parameters"), lastUser);
                return new Reply("", List.of(new Reply.ToolCall(name, PythonJson.dumps(args))));
            }
        }
        if ("tool".equals(lastRole)) {
            return Reply.text(answerFromToolResults(msgs));
        }
        return Reply.text("This is a simulated reply from vllm-sim (no model is running). You said: \""
                + abbreviate(lastUser.strip(), 160) + "\"");
    }

    /**
     * What a reasoning model thinks before {@code reply}: the reply's own (a script's), or a
     * made-up, deterministic one that says it is simulated, names what the user asked and what the
     * reply does. Longer for more effort ({@code low}: one sentence, {@code medium} (the default):
     * two, {@code high} and above: three).
     */
    public String reasoning(JsonNode messages, Reply reply, String effort) {
        if (reply.reasoning() != null) {
            return reply.reasoning();
        }
        List<JsonNode> msgs = new ArrayList<>();
        messages.forEach(msgs::add);
        StringBuilder sb = new StringBuilder("(simulated reasoning) The user asked: \"")
                .append(abbreviate(lastUserText(msgs).strip(), 120)).append("\".");
        int sentences = switch (effort == null ? "medium" : effort) {
            case "minimal", "low" -> 1;
            case "medium" -> 2;
            default -> 3;
        };
        if (sentences >= 2) {
            sb.append(reply.toolCalls().isEmpty() ? " I can answer that directly."
                    : " I will call " + String.join(" and ", reply.toolCalls().stream().map(Reply.ToolCall::name).toList()) + ".");
        }
        if (sentences >= 3) {
            sb.append(" Checking the request once more before I answer.");
        }
        return sb.toString();
    }

    private static String lastUserText(List<JsonNode> msgs) {
        for (int i = msgs.size() - 1; i >= 0; i--) {
            if ("user".equals(msgs.get(i).path("role").asText())) {
                return PromptRenderer.content(msgs.get(i));
            }
        }
        return "";
    }

    private static JsonNode findTool(JsonNode tools, String name) {
        for (JsonNode t : tools) {
            if (t.path("function").path("name").asText().equals(name)) {
                return t;
            }
        }
        return tools.get(0);
    }

    static JsonNode bestTool(JsonNode tools, String userText) {
        Set<String> words = words(userText);
        JsonNode best = tools.get(0);
        double bestScore = -1;
        for (JsonNode t : tools) {
            JsonNode f = t.path("function");
            Set<String> nameWords = words(f.path("name").asText().replace('_', ' ').replace('-', ' '));
            Set<String> descWords = words(f.path("description").asText(""));
            double score = 0;
            for (String w : words) {
                if (nameWords.contains(w) || nameWords.stream().anyMatch(n -> n.length() > 3 && w.startsWith(n))) {
                    score += 3;
                }
                if (descWords.contains(w)) {
                    score += 1;
                }
            }
            if (score > bestScore) {
                bestScore = score;
                best = t;
            }
        }
        return best;
    }

    private static Set<String> words(String text) {
        Set<String> out = new HashSet<>();
        Matcher m = WORD.matcher(text.toLowerCase(Locale.ROOT));
        while (m.find()) {
            if (!STOP.contains(m.group())) {
                out.add(m.group());
            }
        }
        return out;
    }

    /** Arguments that satisfy the tool's schema: every required field, plus optional query/url/code-like ones. */
    ObjectNode arguments(JsonNode schema, String userText) {
        ObjectNode args = mapper.createObjectNode();
        JsonNode props = schema.path("properties");
        Set<String> required = new HashSet<>();
        schema.path("required").forEach(r -> required.add(r.asText()));
        Iterator<Map.Entry<String, JsonNode>> it = props.fields();
        while (it.hasNext()) {
            var e = it.next();
            String name = e.getKey();
            String lname = name.toLowerCase(Locale.ROOT);
            boolean textual = QUERY_FIELDS.contains(lname) || URL_FIELDS.contains(lname) || CODE_FIELDS.contains(lname);
            if (!required.contains(name) && !textual) {
                continue;
            }
            JsonNode value = valueFor(lname, e.getValue(), userText);
            if (value != null) {
                args.set(name, value);
            }
        }
        return args;
    }

    /**
     * What guided decoding with a JSON schema would produce here: an object with every property of
     * the schema (nested objects filled the same way), values built as for tool arguments, strings
     * from {@code text}. It is valid against the schema for the keywords the simulator knows (type,
     * enum, default, minimum, required, properties, items).
     */
    public ObjectNode structured(JsonNode schema, String text) {
        ObjectNode out = mapper.createObjectNode();
        Iterator<Map.Entry<String, JsonNode>> it = schema.path("properties").fields();
        while (it.hasNext()) {
            var e = it.next();
            JsonNode prop = e.getValue();
            String type = prop.path("type").isArray() ? prop.path("type").get(0).asText() : prop.path("type").asText("string");
            if (type.equals("object") && prop.has("properties")) {
                out.set(e.getKey(), structured(prop, text));
            } else if (type.equals("string") && !prop.has("enum") && !prop.has("default")) {
                out.put(e.getKey(), text.strip());
            } else {
                out.set(e.getKey(), valueFor(e.getKey().toLowerCase(Locale.ROOT), prop, text));
            }
        }
        return out;
    }

    private JsonNode valueFor(String lname, JsonNode prop, String userText) {
        if (prop.has("default")) {
            return prop.get("default");
        }
        if (prop.path("enum").isArray() && !prop.path("enum").isEmpty()) {
            return prop.path("enum").get(0);
        }
        String type = prop.path("type").isArray() ? prop.path("type").get(0).asText() : prop.path("type").asText("string");
        return switch (type) {
            case "integer", "number" -> {
                if (prop.has("minimum")) {
                    yield prop.get("minimum");
                }
                yield mapper.getNodeFactory().numberNode(lname.contains("max") || lname.contains("limit") || lname.contains("count") ? 5 : 1);
            }
            case "boolean" -> mapper.getNodeFactory().booleanNode(false);
            case "array" -> {
                ArrayNode a = mapper.createArrayNode();
                if ("string".equals(prop.path("items").path("type").asText())) {
                    a.add(userText.strip());
                }
                yield a;
            }
            case "object" -> mapper.createObjectNode();
            default -> mapper.getNodeFactory().textNode(textFor(lname, userText));
        };
    }

    private static String textFor(String lname, String userText) {
        if (URL_FIELDS.contains(lname)) {
            Matcher m = URL.matcher(userText);
            return m.find() ? m.group().replaceAll("[.,;:!?]+$", "") : "https://example.com/";
        }
        if (CODE_FIELDS.contains(lname)) {
            Matcher m = CODE_BLOCK.matcher(userText);
            if (m.find()) {
                return m.group(1).strip();
            }
            return "print(" + pythonRepr(userText.strip()) + ")";
        }
        return userText.strip();
    }

    private static String pythonRepr(String s) {
        return "'" + s.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'";
    }

    /** Quotes the tool results since the last assistant turn: the string fields of JSON results, or the text. */
    private String answerFromToolResults(List<JsonNode> msgs) {
        List<String> quotes = new ArrayList<>();
        for (int i = msgs.size() - 1; i >= 0 && "tool".equals(msgs.get(i).path("role").asText()); i--) {
            quotes.addFirst(quoteOf(PromptRenderer.content(msgs.get(i))));
        }
        String joined = String.join(" | ", quotes.stream().filter(q -> !q.isBlank()).toList());
        if (joined.isBlank()) {
            return "The tool returned no content.";
        }
        return "According to the tool results: \"" + abbreviate(joined, 600) + "\"";
    }

    private String quoteOf(String content) {
        String trimmed = content.strip();
        if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
            try {
                JsonNode n = mapper.readTree(trimmed);
                List<String> strings = new ArrayList<>();
                collectStrings(n, strings);
                if (!strings.isEmpty()) {
                    return String.join(" — ", strings.subList(0, Math.min(4, strings.size())));
                }
            } catch (Exception ignored) {
                // not JSON after all: quote the text
            }
        }
        return trimmed.replaceAll("\\s+", " ");
    }

    private static void collectStrings(JsonNode n, List<String> out) {
        if (out.size() >= 4) {
            return;
        }
        if (n.isTextual()) {
            String s = n.asText().strip().replaceAll("\\s+", " ");
            if (s.length() >= 12 && !s.startsWith("http")) {
                out.add(s);
            }
        } else if (n.isContainerNode()) {
            for (JsonNode c : n) {
                collectStrings(c, out);
            }
        }
    }

    static String abbreviate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }
}
