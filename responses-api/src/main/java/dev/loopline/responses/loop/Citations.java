package dev.loopline.responses.loop;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.json.Json;
import dev.loopline.responses.hosted.ToolOutcome.Passage;
import dev.loopline.responses.hosted.ToolOutcome.Source;
import dev.loopline.responses.hosted.ToolOutcome.WebPage;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The annotations of an answer, for the sources the answer uses (evidence that it used them, not
 * just that a tool returned them):
 * <ul>
 *   <li>{@code url_citation} for a web page the answer links ({@code [text](url)}, spanning the
 *       link) or names by its address (spanning the address), or else repeats a run of at least
 *       {@value #SHINGLE} words of its title or snippet (spanning the sentence that does);</li>
 *   <li>{@code file_citation} for a file whose passage the answer repeats a run of
 *       {@value #SHINGLE} words of: each cited file once, at the end of the text, as OpenAI places them.</li>
 * </ul>
 * Indices count Unicode code points, as OpenAI's do; url citations come first, in text order.
 */
final class Citations {
    static final int SHINGLE = 6;
    private static final Pattern MARKDOWN_LINK = Pattern.compile("\\[([^\\]\\n]{0,500})\\]\\(\\s*<?([^)\\s>]+)>?\\s*\\)");

    private Citations() {
    }

    static ArrayNode forAnswer(String answer, List<? extends Source> sources) {
        ArrayNode out = Json.array();
        if (answer.isEmpty()) {
            return out;
        }
        Set<String> answerShingles = shingles(answer);
        urlCitations(answer, sources, answerShingles).forEach(out::add);
        Map<String, String> cited = new LinkedHashMap<>();
        for (Source s : sources) {
            if (s instanceof Passage p && !cited.containsKey(p.fileId()) && overlaps(p.text(), answerShingles)) {
                cited.put(p.fileId(), p.filename());
            }
        }
        int end = answer.codePointCount(0, answer.length());
        cited.forEach((id, name) -> out.addObject().put("type", "file_citation").put("index", end)
                .put("file_id", id).put("filename", name));
        return out;
    }

    private static List<ObjectNode> urlCitations(String answer, List<? extends Source> sources, Set<String> answerShingles) {
        Map<String, WebPage> pages = new LinkedHashMap<>();
        for (Source s : sources) {
            if (s instanceof WebPage w && !w.url().isBlank()) {
                pages.putIfAbsent(normal(w.url()), w);
            }
        }
        List<int[]> spans = new ArrayList<>();
        List<WebPage> spanPages = new ArrayList<>();
        Set<String> found = new HashSet<>();
        Matcher link = MARKDOWN_LINK.matcher(answer);
        while (link.find()) {
            WebPage w = pages.get(normal(link.group(2)));
            if (w != null) {
                spans.add(new int[]{link.start(), link.end()});
                spanPages.add(w);
                found.add(normal(w.url()));
            }
        }
        for (WebPage w : pages.values()) {
            if (found.contains(normal(w.url()))) {
                continue;
            }
            int at = bareUrl(answer, w.url());
            if (at >= 0) {
                spans.add(new int[]{at, at + stripSlash(w.url()).length()});
                spanPages.add(w);
                found.add(normal(w.url()));
                continue;
            }
            int[] sentence = sentenceRepeating(answer, (w.title() == null ? "" : w.title()) + " \n " + w.text(), answerShingles);
            if (sentence != null) {
                spans.add(sentence);
                spanPages.add(w);
            }
        }
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < spans.size(); i++) {
            order.add(i);
        }
        order.sort(Comparator.comparingInt(i -> spans.get(i)[0]));
        List<ObjectNode> out = new ArrayList<>();
        for (int i : order) {
            WebPage w = spanPages.get(i);
            out.add(Json.object().put("type", "url_citation")
                    .put("start_index", answer.codePointCount(0, spans.get(i)[0]))
                    .put("end_index", answer.codePointCount(0, spans.get(i)[1]))
                    .put("url", w.url()).put("title", w.title() == null || w.title().isBlank() ? w.url() : w.title()));
        }
        return out;
    }

    /** Where the address occurs on its own in the text (not as the start of a longer one), or -1. */
    private static int bareUrl(String answer, String url) {
        String u = stripSlash(url);
        for (int at = answer.indexOf(u); at >= 0; at = answer.indexOf(u, at + 1)) {
            int after = at + u.length();
            char next = after < answer.length() ? answer.charAt(after) : ' ';
            if (after >= answer.length() || next == '/' && (after + 1 >= answer.length() || !isUrlChar(answer.charAt(after + 1)))
                    || !isUrlChar(next) || ".,;:!?".indexOf(next) >= 0 && (after + 1 >= answer.length() || !isUrlChar(answer.charAt(after + 1)))) {
                return at;
            }
        }
        return -1;
    }

    private static boolean isUrlChar(char c) {
        return Character.isLetterOrDigit(c) || "-._~:/?#[]@!$&'*+,;=%".indexOf(c) >= 0;
    }

    private static String stripSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    private static String normal(String url) {
        return stripSlash(url.strip()).toLowerCase(Locale.ROOT);
    }

    /** The span of the first sentence of the answer that repeats a run of the source's words, or null. */
    private static int[] sentenceRepeating(String answer, String source, Set<String> answerShingles) {
        Set<String> common = new HashSet<>(shingles(source));
        common.retainAll(answerShingles);
        if (common.isEmpty()) {
            return null;
        }
        int start = 0;
        for (int i = 0; i <= answer.length(); i++) {
            boolean end = i == answer.length() || answer.charAt(i) == '\n'
                    || ".!?".indexOf(answer.charAt(i)) >= 0 && (i + 1 == answer.length() || Character.isWhitespace(answer.charAt(i + 1)));
            if (end) {
                int stop = Math.min(answer.length(), i + (i < answer.length() && answer.charAt(i) != '\n' ? 1 : 0));
                String sentence = answer.substring(start, stop);
                Set<String> own = shingles(sentence);
                own.retainAll(common);
                if (!own.isEmpty()) {
                    while (start < stop && Character.isWhitespace(answer.charAt(start))) {
                        start++;
                    }
                    return new int[]{start, stop};
                }
                start = stop;
            }
        }
        return null;
    }

    private static boolean overlaps(String text, Set<String> answerShingles) {
        for (String s : shingles(text == null ? "" : text)) {
            if (answerShingles.contains(s)) {
                return true;
            }
        }
        return false;
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
