package dev.loopline.mcp.tools.scrape;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.json.Json;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.Node;
import org.jsoup.nodes.TextNode;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Main-content extraction from a parsed page, readability-style:
 * <ol>
 *   <li>drop what is never content (scripts, forms, navigation, headers, footers, asides, hidden
 *       elements) and blocks whose class or id says boilerplate (comments, share bars, related
 *       links, newsletters, cookie banners, ads) unless it also says content;</li>
 *   <li>score paragraphs by length and commas, add the score to their parent and half to the
 *       grandparent, weight containers by tag and class, scale by (1 − link density);</li>
 *   <li>take the best container and those of its siblings that look like content;</li>
 *   <li>fall back to JSON-LD {@code articleBody}, then to the cleaned body text, when the result
 *       is too short to be the article.</li>
 * </ol>
 * Metadata comes from Open Graph / article meta tags, JSON-LD and the document itself.
 */
public final class ContentExtractor {
    private static final Pattern NEGATIVE = Pattern.compile(
            "comment(?!ary)|disqus|foot(?!note)|sidebar|side-bar|widget|sponsor|\\bads?\\b|ad-|advert|promo|share|sharing|social|related|recommend"
                    + "|newsletter|subscribe|signup|cookie|consent|gdpr|banner|breadcrumb|\\bnav|menu|popup|modal|masthead|outbrain|taboola"
                    + "|pagination|pager|tags|tagcloud|author-bio|skip|print|login|toolbar|teaser|more-stories|read-more|readmore|byline|dateline|caption|credit|paywall|subscription|author|autor|reading-time|readtime",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern POSITIVE = Pattern.compile(
            "article|body|content|entry|main|page|post|text|blog|story|prose|paragraph", Pattern.CASE_INSENSITIVE);
    /** Short blocks saying these are calls to action or notices, not article text (several languages). */
    private static final Pattern BOILERPLATE_TEXT = Pattern.compile(
            "copyright|©|all rights reserved|subscribe|subscriber|newsletter|sign up|log in|follow (us|the)|download (the|our)"
                    + "|abonn|anmelden|werbung|anzeige|reklama|publicidad|suscr|iscriviti|pubblicità|written permission",
            Pattern.CASE_INSENSITIVE);
    private static final Set<String> BLOCKS = Set.of("p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6",
            "ul", "ol", "li", "pre", "blockquote", "table", "tr", "td", "th", "dl", "dt", "dd", "figure", "figcaption", "br", "hr");

    /** What the scraper returns about a page. */
    public record Extracted(String title, String byline, String published, String language, String text, String markdown, int links) {
    }

    /** Distant containers join the content when they score at least this share of the best one. */
    private static final double DISTANT_SHARE = 0.3;

    private ContentExtractor() {
    }

    public static Extracted extract(Document doc) {
        JsonNode ld = jsonLd(doc);
        String title = first(meta(doc, "og:title"), ld.path("headline").asText(null), doc.title());
        String byline = first(meta(doc, "author"), meta(doc, "article:author"), author(ld),
                text(doc.selectFirst("[rel=author], .byline, .author, [itemprop=author]")));
        String published = first(meta(doc, "article:published_time"), meta(doc, "datePublished"), meta(doc, "date"),
                meta(doc, "pubdate"), ld.path("datePublished").asText(null), attr(doc.selectFirst("time[datetime]"), "datetime"));
        String language = first(attr(doc.selectFirst("html"), "lang"), meta(doc, "og:locale"), httpEquiv(doc, "content-language"));
        int links = doc.select("a[href]").size();

        Element body = doc.body() == null ? doc : doc.body();
        String scripted = scriptedHtml(doc);
        clean(body);
        List<Element> parts = mainContent(body);
        String text = render(parts, false);
        String markdown = render(parts, true);
        String articleBody = ld.path("articleBody").asText("");
        if ((text.length() < 250 && articleBody.length() > text.length()) || articleBody.length() > text.length() * 1.5) {
            text = articleBody.strip();
            markdown = text;
        }
        if (text.length() < 250 && scripted.length() > text.length() * 2) {
            // A client-rendered page: its article travels as HTML inside a JSON blob.
            text = scripted;
            markdown = scripted;
        }
        if (text.length() < 100) {
            String all = render(List.of(body), false);
            if (all.length() > text.length()) {
                text = all;
                markdown = render(List.of(body), true);
            }
        }
        return new Extracted(blankToNull(title), blankToNull(byline), blankToNull(published), blankToNull(language), text, markdown, links);
    }

    // ---- cleaning

    private static void clean(Element root) {
        // A form around the whole page (ASP.NET and similar) or a page-wide noscript fallback is
        // layout, not an input form or a script notice.
        for (Element wrapper : root.select("form, noscript")) {
            if (textLength(wrapper) > 1000) {
                wrapper.unwrap();
            }
        }
        root.select("script, style, noscript, template, svg, canvas, iframe, object, embed, form, button, input, select, textarea,"
                + " nav, footer, aside, dialog, figcaption, [hidden], [aria-hidden=true], [role=navigation], [role=banner],"
                + " [role=contentinfo], [role=complementary]").remove();
        for (Element e : new ArrayList<>(root.getAllElements())) {
            if (e == root || e.parent() == null) {
                continue;
            }
            String style = e.attr("style").replace(" ", "").toLowerCase(Locale.ROOT);
            if (style.contains("display:none") || style.contains("visibility:hidden")) {
                e.remove();
                continue;
            }
            String marks = e.className() + " " + e.id();
            if (marks.isBlank() || e.tagName().equals("body") || e.tagName().equals("article") || e.tagName().equals("main")) {
                continue;
            }
            if (NEGATIVE.matcher(marks).find() && !POSITIVE.matcher(marks).find() && textLength(e) < 1000) {
                e.remove();
            }
        }
    }

    // ---- scoring

    private static List<Element> mainContent(Element body) {
        Map<Element, Double> scores = new IdentityHashMap<>();
        for (Element p : body.select("p, pre, td, blockquote, li, div")) {
            if (p.tagName().equals("div") && hasBlockChild(p)) {
                continue; // only text-holding divs count as paragraphs
            }
            String t = p.ownText().isEmpty() && !p.tagName().equals("div") ? p.text() : p.text();
            if (t.length() < 25) {
                continue;
            }
            double score = 1 + t.split(",").length + Math.min(t.length() / 100.0, 3);
            Element parent = p.parent();
            if (parent == null) {
                continue;
            }
            scores.merge(parent, score + initial(parent), (a, b) -> a + score);
            Element grand = parent.parent();
            if (grand != null) {
                scores.merge(grand, score / 2 + initial(grand), (a, b) -> a + score / 2);
            }
        }
        Element best = null;
        double bestScore = 0;
        for (Map.Entry<Element, Double> e : scores.entrySet()) {
            double s = e.getValue() * (1 - linkDensity(e.getKey()));
            e.setValue(s);
            if (s > bestScore) {
                best = e.getKey();
                bestScore = s;
            }
        }
        if (best == null) {
            return List.of(body);
        }
        // Climb while the parent holds more content of the same kind (articles split into sections).
        while (best.parent() != null && best.parent() != body
                && scores.getOrDefault(best.parent(), 0.0) > bestScore * 0.8 && textLength(best.parent()) < textLength(best) * 2.5) {
            best = best.parent();
            bestScore = Math.max(bestScore, scores.getOrDefault(best, 0.0));
        }
        List<Element> out = new ArrayList<>();
        Element parent = best.parent();
        if (parent == null) {
            return List.of(best);
        }
        double threshold = Math.max(10, bestScore * 0.1);
        for (Element sibling : parent.children()) {
            if (sibling == best) {
                out.add(sibling);
                continue;
            }
            double s = scores.getOrDefault(sibling, 0.0);
            String t = sibling.text();
            double ld = linkDensity(sibling);
            boolean paragraph = sibling.tagName().equals("p") || sibling.tagName().matches("h[1-6]");
            if (s >= threshold || (paragraph && t.length() > 80 && ld < 0.25) || (sibling.tagName().equals("p") && t.length() > 0
                    && t.length() <= 80 && ld == 0 && t.matches(".*[.!?]$"))) {
                out.add(sibling);
            }
        }
        addDistantContent(out, scores, bestScore, body);
        return out;
    }

    /**
     * Articles split over distant containers (an intro module above the body, CMS blocks): other
     * strong, link-poor containers that do not overlap what was chosen join it, in page order.
     */
    private static void addDistantContent(List<Element> out, Map<Element, Double> scores, double bestScore, Element body) {
        List<Element> extra = new ArrayList<>();
        for (Map.Entry<Element, Double> e : scores.entrySet()) {
            Element c = e.getKey();
            if (e.getValue() < bestScore * DISTANT_SHARE || linkDensity(c) > 0.2 || c == body) {
                continue;
            }
            boolean overlaps = false;
            for (Element o : out) {
                if (o == c || isAncestor(o, c) || isAncestor(c, o)) {
                    overlaps = true;
                    break;
                }
            }
            for (Element o : extra) {
                if (!overlaps && (isAncestor(o, c) || isAncestor(c, o))) {
                    overlaps = true;
                }
            }
            if (!overlaps) {
                extra.add(c);
            }
        }
        if (extra.isEmpty()) {
            return;
        }
        out.addAll(extra);
        Map<Element, Integer> order = new IdentityHashMap<>();
        int i = 0;
        for (Element e : body.getAllElements()) {
            order.put(e, i++);
        }
        out.sort(Comparator.comparingInt(e -> order.getOrDefault(e, Integer.MAX_VALUE)));
    }

    private static boolean isAncestor(Element ancestor, Element e) {
        for (Element p = e.parent(); p != null; p = p.parent()) {
            if (p == ancestor) {
                return true;
            }
        }
        return false;
    }

    private static double initial(Element e) {
        double s = switch (e.tagName()) {
            case "article", "main" -> 10;
            case "div", "section" -> 5;
            case "pre", "td", "blockquote" -> 3;
            case "address", "ol", "ul", "dl", "dd", "dt", "li", "form" -> -3;
            case "h1", "h2", "h3", "h4", "h5", "h6", "th" -> -5;
            default -> 0;
        };
        String marks = e.className() + " " + e.id();
        if (!marks.isBlank()) {
            if (NEGATIVE.matcher(marks).find()) {
                s -= 25;
            }
            if (POSITIVE.matcher(marks).find()) {
                s += 25;
            }
        }
        return s;
    }

    private static boolean hasBlockChild(Element e) {
        for (Element c : e.children()) {
            if (BLOCKS.contains(c.tagName())) {
                return true;
            }
        }
        return false;
    }

    private static int textLength(Element e) {
        return e.text().length();
    }

    private static double linkDensity(Element e) {
        int total = textLength(e);
        if (total == 0) {
            return 0;
        }
        int linked = 0;
        for (Element a : e.select("a")) {
            linked += a.text().length();
        }
        return Math.min(1, linked / (double) total);
    }

    // ---- rendering

    private static String render(List<Element> parts, boolean markdown) {
        StringBuilder out = new StringBuilder();
        for (Element e : parts) {
            renderNode(e, out, markdown);
            out.append("\n\n");
        }
        return out.toString().replaceAll("[ \\t\\x0B\\f\\r]+", " ").replaceAll(" ?\\n ?", "\n").replaceAll("\\n{3,}", "\n\n").strip();
    }

    private static void renderNode(Node node, StringBuilder out, boolean markdown) {
        if (node instanceof TextNode t) {
            // getWholeText, not text(): jsoup's text() drops soft hyphens, which are part of the words.
            // No-break spaces become spaces and zero-width spaces go, as text() would do.
            out.append(t.getWholeText().replace("\u200b", "").replaceAll("[\\s\u00a0]+", " "));
            return;
        }
        if (!(node instanceof Element e)) {
            return;
        }
        String tag = e.tagName();
        boolean block = BLOCKS.contains(tag);
        // Inside the content, blocks that are mostly links are link lists ("read also", tags, related),
        // and a heading that only introduces such a list goes with it.
        if (block && !tag.equals("br") && !tag.equals("hr") && linkDensity(e) > 0.5) {
            return;
        }
        if ((tag.equals("p") || tag.equals("div") || tag.equals("li")) && textLength(e) < 300
                && BOILERPLATE_TEXT.matcher(e.text()).find()) {
            return;
        }
        if (tag.matches("h[2-6]")) {
            Element next = e.nextElementSibling();
            if (next == null || (textLength(next) > 0 && linkDensity(next) > 0.5)) {
                return;
            }
        }
        if (block) {
            out.append("\n\n");
        }
        if (markdown) {
            if (tag.matches("h[1-6]")) {
                out.append("#".repeat(tag.charAt(1) - '0')).append(' ');
            } else if (tag.equals("li")) {
                out.append("- ");
            } else if (tag.equals("blockquote")) {
                out.append("> ");
            } else if (tag.equals("pre")) {
                out.append("```\n").append(e.wholeText()).append("\n```");
                out.append("\n\n");
                return;
            }
        }
        if (tag.equals("br")) {
            out.append('\n');
            return;
        }
        if (markdown && tag.equals("a") && !e.attr("abs:href").isEmpty() && !e.text().isBlank()) {
            out.append('[').append(e.text()).append("](").append(e.attr("abs:href")).append(')');
            return;
        }
        for (Node child : e.childNodes()) {
            renderNode(child, out, markdown);
        }
        if (block) {
            out.append("\n\n");
        }
    }

    // ---- client-rendered pages

    /** Paragraph HTML carried in JSON string literals of the page's scripts, as text (empty when none). */
    private static String scriptedHtml(Document doc) {
        StringBuilder out = new StringBuilder();
        for (Element script : doc.select("script")) {
            String data = script.data();
            if (!data.contains("\\u003cp") && !data.contains("\\u003Cp") && !data.contains("<p>")) {
                continue;
            }
            for (String literal : stringLiterals(data)) {
                if (out.length() > 200_000) {
                    break;
                }
                String html;
                try {
                    html = Json.mapper().readValue("\"" + literal + "\"", String.class);
                } catch (IOException | RuntimeException e) {
                    continue;
                }
                if (!html.contains("<p")) {
                    continue;
                }
                for (Element p : Jsoup.parseBodyFragment(html).select("p, h2, h3, li, blockquote")) {
                    String t = p.text();
                    if (!t.isBlank()) {
                        out.append(t).append("\n\n");
                    }
                }
            }
        }
        return out.toString().strip();
    }

    /** The bodies of double-quoted string literals of at least 80 characters, by a linear scan. */
    private static List<String> stringLiterals(String js) {
        List<String> out = new ArrayList<>();
        int i = 0;
        int n = js.length();
        while (i < n) {
            if (js.charAt(i) != '"') {
                i++;
                continue;
            }
            int start = ++i;
            while (i < n && js.charAt(i) != '"') {
                i += js.charAt(i) == '\\' ? 2 : 1;
            }
            if (i <= n && i - start >= 80) {
                out.add(js.substring(start, Math.min(i, n)));
            }
            i++;
        }
        return out;
    }

    // ---- metadata

    private static JsonNode jsonLd(Document doc) {
        for (Element s : doc.select("script[type=application/ld+json]")) {
            try {
                JsonNode n = Json.parse(s.data());
                for (JsonNode candidate : candidates(n)) {
                    if (candidate.has("articleBody") || candidate.has("headline")) {
                        return candidate;
                    }
                }
            } catch (RuntimeException ignored) {
                // broken JSON-LD is common; the page's HTML still speaks
            }
        }
        return Json.object();
    }

    private static List<JsonNode> candidates(JsonNode n) {
        List<JsonNode> out = new ArrayList<>();
        if (n.isArray()) {
            n.forEach(x -> out.addAll(candidates(x)));
        } else if (n.isObject()) {
            out.add(n);
            if (n.has("@graph")) {
                out.addAll(candidates(n.get("@graph")));
            }
        }
        return out;
    }

    private static String author(JsonNode ld) {
        JsonNode a = ld.path("author");
        if (a.isArray() && !a.isEmpty()) {
            a = a.get(0);
        }
        return a.isTextual() ? a.asText() : a.path("name").asText(null);
    }

    private static String meta(Document doc, String name) {
        Element m = doc.selectFirst("meta[property=" + name + "], meta[name=" + name + "], meta[itemprop=" + name + "]");
        return m == null ? null : m.attr("content");
    }

    private static String httpEquiv(Document doc, String name) {
        Element m = doc.selectFirst("meta[http-equiv=" + name + "]");
        return m == null ? null : m.attr("content");
    }

    private static String attr(Element e, String name) {
        return e == null ? null : e.attr(name);
    }

    private static String text(Element e) {
        return e == null ? null : e.text();
    }

    private static String first(String... values) {
        for (String v : values) {
            if (v != null && !v.isBlank()) {
                return v.strip();
            }
        }
        return null;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
