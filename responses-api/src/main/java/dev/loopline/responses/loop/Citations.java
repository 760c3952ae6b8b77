package dev.loopline.responses.loop;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.loopline.common.json.Json;
import dev.loopline.responses.hosted.ToolOutcome;

import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code file_citation} annotations for an answer: a file the response's file searches returned
 * is cited when the answer repeats a run of at least {@value #SHINGLE} words from one of its
 * passages (evidence the answer used it, not just that it was retrieved). Each cited file is
 * annotated once, at the end of the text, as OpenAI places them.
 */
final class Citations {
    static final int SHINGLE = 6;

    private Citations() {
    }

    static ArrayNode forAnswer(String answer, List<ToolOutcome.Passage> passages) {
        ArrayNode out = Json.array();
        Set<String> answerShingles = shingles(answer);
        if (answerShingles.isEmpty()) {
            return out;
        }
        Map<String, String> cited = new LinkedHashMap<>();
        for (ToolOutcome.Passage p : passages) {
            if (cited.containsKey(p.fileId())) {
                continue;
            }
            for (String s : shingles(p.text() == null ? "" : p.text())) {
                if (answerShingles.contains(s)) {
                    cited.put(p.fileId(), p.filename());
                    break;
                }
            }
        }
        cited.forEach((id, name) -> out.addObject().put("type", "file_citation").put("index", answer.length())
                .put("file_id", id).put("filename", name));
        return out;
    }

    private static Set<String> shingles(String text) {
        String[] words = text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+");
        Set<String> out = new HashSet<>();
        int start = words.length > 0 && words[0].isEmpty() ? 1 : 0;
        for (int i = start; i + SHINGLE <= words.length; i++) {
            out.add(String.join(" ", Arrays.copyOfRange(words, i, i + SHINGLE)));
        }
        return out;
    }
}
