package dev.loopline.responses.mcp;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * MCP 2026-07-28's {@code x-mcp-header}: a tool's input schema may mark parameters to be mirrored
 * into {@code Mcp-Param-{name}} request headers (so gateways can route on them). A client must
 * send them, and must drop a tool whose annotations break the rules (an empty or non-token name,
 * a name used twice, a parameter that is not a string, integer or boolean, or one not reachable
 * from the root through {@code properties} alone). Values that are not plain visible ASCII, or that
 * look like the sentinel, go in the {@code =?base64?…?=} form; so does an {@code Mcp-Name} value.
 */
public final class ParamHeaders {
    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    private static final Pattern PLAIN = Pattern.compile("[\\x21-\\x7e]([\\x20-\\x7e]*[\\x21-\\x7e])?");
    private static final long SAFE_INTEGER = (1L << 53) - 1;

    /** One mirrored parameter: its header name part and the property path from the schema's root. */
    record Param(String header, List<String> path) {
    }

    private ParamHeaders() {
    }

    /** A tool's mirrored parameters; throws {@link IllegalArgumentException} naming the broken rule. */
    static List<Param> of(JsonNode inputSchema) {
        List<Param> out = new ArrayList<>();
        walk(inputSchema, new ArrayList<>(), true, out);
        Set<String> seen = new HashSet<>();
        for (Param p : out) {
            if (!seen.add(p.header().toLowerCase(Locale.ROOT))) {
                throw new IllegalArgumentException("x-mcp-header '" + p.header() + "' is used twice");
            }
        }
        return out;
    }

    /** Every {@code x-mcp-header} in the schema, checked; {@code reachable}: only {@code properties} steps led here. */
    private static void walk(JsonNode node, List<String> path, boolean reachable, List<Param> out) {
        if (node.isArray()) {
            node.forEach(n -> walk(n, path, false, out));
            return;
        }
        if (!node.isObject()) {
            return;
        }
        if (node.has("x-mcp-header")) {
            JsonNode h = node.get("x-mcp-header");
            if (!reachable || path.isEmpty()) {
                throw new IllegalArgumentException("x-mcp-header at " + String.join(".", path) + " is not reachable through properties alone");
            }
            if (!h.isTextual() || !TOKEN.matcher(h.asText()).matches()) {
                throw new IllegalArgumentException("x-mcp-header " + h + " is not an HTTP token");
            }
            String type = node.path("type").asText("");
            if (!List.of("string", "integer", "boolean").contains(type)) {
                throw new IllegalArgumentException("x-mcp-header '" + h.asText() + "' marks a parameter of type '" + type
                        + "' (only string, integer and boolean may be mirrored)");
            }
            out.add(new Param(h.asText(), List.copyOf(path)));
        }
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> f = fields.next();
            if (f.getKey().equals("properties") && f.getValue().isObject()) {
                Iterator<Map.Entry<String, JsonNode>> props = f.getValue().fields();
                while (props.hasNext()) {
                    Map.Entry<String, JsonNode> p = props.next();
                    List<String> deeper = new ArrayList<>(path);
                    deeper.add(p.getKey());
                    walk(p.getValue(), deeper, reachable, out);
                }
            } else if (!f.getKey().equals("x-mcp-header")) {
                walk(f.getValue(), path, false, out);
            }
        }
    }

    /** The headers for a call's arguments: a parameter with no value (or null) sends no header. */
    static Map<String, String> headers(List<Param> params, JsonNode arguments) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Param p : params) {
            JsonNode v = arguments;
            for (String step : p.path()) {
                v = v.path(step);
            }
            if (v.isMissingNode() || v.isNull()) {
                continue;
            }
            String text;
            if (v.isTextual()) {
                text = v.asText();
            } else if (v.isIntegralNumber() && Math.abs(v.asLong()) <= SAFE_INTEGER) {
                text = Long.toString(v.asLong());
            } else if (v.isBoolean()) {
                text = Boolean.toString(v.asBoolean());
            } else {
                continue; // a value of the wrong type: the server validates the body
            }
            out.put("Mcp-Param-" + p.header(), encode(text));
        }
        return out;
    }

    /** A header value as sent: as it is when plain, else in the Base64 sentinel form. */
    static String encode(String value) {
        boolean sentinel = value.startsWith("=?base64?") && value.endsWith("?=");
        if (!sentinel && PLAIN.matcher(value).matches()) {
            return value;
        }
        return "=?base64?" + Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8)) + "?=";
    }
}
