package dev.loopline.mcp.tools.scrape;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.json.Json;
import dev.loopline.mcp.tools.Tool;
import dev.loopline.mcp.tools.ToolContext;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;

/**
 * {@code scrape {url, format?, max_chars?}}: fetches a public page through {@link SafeFetcher}
 * (SSRF-safe) and returns its main content and metadata, extracted by {@link ContentExtractor}.
 * The page's bytes are decoded by jsoup from the BOM, the Content-Type charset or the page's own
 * meta charset, in that order.
 */
public final class ScrapeTool implements Tool {
    private final SafeFetcher fetcher;
    private final int defaultMaxChars;

    public ScrapeTool(SafeFetcher fetcher, int defaultMaxChars) {
        this.fetcher = fetcher;
        this.defaultMaxChars = defaultMaxChars;
    }

    @Override
    public String name() {
        return "scrape";
    }

    @Override
    public ObjectNode definition() {
        ObjectNode t = Json.object().put("name", name()).put("title", "Scrape a web page")
                .put("description", "Fetch a public web page and return its main text (or Markdown) without navigation, ads and "
                        + "comments, with title, byline, published date and language.");
        ObjectNode in = t.putObject("inputSchema").put("type", "object");
        ObjectNode props = in.putObject("properties");
        props.putObject("url").put("type", "string").put("format", "uri").put("description", "An http or https URL.");
        props.putObject("format").put("type", "string").put("default", "text").putArray("enum").add("text").add("markdown");
        props.putObject("max_chars").put("type", "integer").put("minimum", 100).put("maximum", 1_000_000).put("default", defaultMaxChars);
        in.putArray("required").add("url");
        in.put("additionalProperties", false);
        ObjectNode out = t.putObject("outputSchema").put("type", "object");
        ObjectNode op = out.putObject("properties");
        for (String f : new String[]{"url", "final_url", "format", "content"}) {
            op.putObject(f).put("type", "string");
        }
        for (String f : new String[]{"title", "byline", "published_date", "language"}) {
            op.putObject(f).putArray("type").add("string").add("null");
        }
        op.putObject("links").put("type", "integer");
        op.putObject("truncated").put("type", "boolean");
        out.putArray("required").add("url").add("final_url").add("format").add("content").add("links").add("truncated");
        t.putObject("annotations").put("title", "Scrape a web page").put("readOnlyHint", true).put("destructiveHint", false)
                .put("idempotentHint", true).put("openWorldHint", true);
        return t;
    }

    @Override
    public ObjectNode call(JsonNode args, ToolContext ctx) throws ToolFailure {
        JsonNode url = args.path("url");
        if (!url.isTextual() || url.asText().isBlank()) {
            throw new ToolFailure("Invalid arguments: 'url' must be an http or https URL.");
        }
        String format = args.path("format").asText("text");
        if (!format.equals("text") && !format.equals("markdown")) {
            throw new ToolFailure("Invalid arguments: 'format' must be 'text' or 'markdown'.");
        }
        int max = defaultMaxChars;
        if (args.has("max_chars")) {
            JsonNode m = args.get("max_chars");
            if (!m.isIntegralNumber() || m.asInt() < 100 || m.asInt() > 1_000_000) {
                throw new ToolFailure("Invalid arguments: 'max_chars' must be an integer from 100 to 1000000.");
            }
            max = m.asInt();
        }
        ctx.progress(0, 2.0, "fetching");
        SafeFetcher.Page page = fetcher.fetch(url.asText(), ctx);
        ctx.progress(1, 2.0, "extracting");
        ContentExtractor.Extracted e;
        if (page.mediaType().equals("text/plain") || page.mediaType().equals("text/markdown")) {
            String text = new String(page.body(), charset(page.charset()));
            e = new ContentExtractor.Extracted(null, null, null, null, text.strip(), text.strip(), 0);
        } else {
            e = ContentExtractor.extract(parse(page));
        }
        String content = format.equals("markdown") ? e.markdown() : e.text();
        boolean truncated = content.length() > max;
        if (truncated) {
            content = content.substring(0, max);
        }
        ObjectNode out = Json.object().put("url", url.asText()).put("final_url", page.finalUrl()).put("format", format);
        putNullable(out, "title", e.title());
        putNullable(out, "byline", e.byline());
        putNullable(out, "published_date", e.published());
        putNullable(out, "language", e.language());
        return out.put("content", content).put("links", e.links()).put("truncated", truncated);
    }

    static Document parse(SafeFetcher.Page page) throws ToolFailure {
        try {
            String declared = page.charset() != null && Charset.isSupported(page.charset()) ? page.charset() : null;
            return Jsoup.parse(new ByteArrayInputStream(page.body()), declared, page.finalUrl());
        } catch (IOException | RuntimeException ex) {
            throw new ToolFailure("The page could not be parsed: " + ex.getMessage());
        }
    }

    private static Charset charset(String name) {
        try {
            return name != null && Charset.isSupported(name) ? Charset.forName(name) : StandardCharsets.UTF_8;
        } catch (RuntimeException e) {
            return StandardCharsets.UTF_8;
        }
    }

    private static void putNullable(ObjectNode o, String field, String value) {
        if (value == null) {
            o.putNull(field);
        } else {
            o.put(field, value);
        }
    }
}
