package dev.loopline.sim.reply;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;

import java.util.Iterator;
import java.util.Map;

/** JSON with Python's {@code json.dumps} spacing ({@code ", "} and {@code ": "}), as vLLM re-serializes tool arguments and in-stream errors. */
public final class PythonJson {
    private PythonJson() {
    }

    public static String dumps(JsonNode n) {
        StringBuilder sb = new StringBuilder();
        write(n, sb);
        return sb.toString();
    }

    private static void write(JsonNode n, StringBuilder sb) {
        if (n.isObject()) {
            sb.append('{');
            Iterator<Map.Entry<String, JsonNode>> it = n.fields();
            boolean first = true;
            while (it.hasNext()) {
                var e = it.next();
                if (!first) {
                    sb.append(", ");
                }
                first = false;
                sb.append(TextNode.valueOf(e.getKey()).toString()).append(": ");
                write(e.getValue(), sb);
            }
            sb.append('}');
        } else if (n.isArray()) {
            sb.append('[');
            for (int i = 0; i < n.size(); i++) {
                if (i > 0) {
                    sb.append(", ");
                }
                write(n.get(i), sb);
            }
            sb.append(']');
        } else {
            sb.append(n.toString());
        }
    }
}
