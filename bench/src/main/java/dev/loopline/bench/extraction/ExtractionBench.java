package dev.loopline.bench.extraction;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.json.Json;
import dev.loopline.mcp.tools.scrape.ContentExtractor;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * Main-content extraction quality on {@code extraction-dev} (200 pages from trafilatura's
 * evaluation set), scored the trafilatura way: whitespace-normalised extracted text; each `with`
 * snippet found is a true positive, missing a false negative; each `without` snippet found a
 * false positive; summed over all pages. Also scores the whole page's text as the baseline.
 */
public final class ExtractionBench {
    private ExtractionBench() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 1 ? args[1] : System.getProperty("bench.dataset", "../shared/datasets/extraction-dev"));
        JsonNode eval = Json.parse(Files.readAllBytes(dir.resolve("evaldata.json")));
        int[] ours = new int[3];
        int[] whole = new int[3];
        long nanos = 0;
        int pages = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = eval.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            Path file = dir.resolve("html").resolve(e.getValue().get("file").asText() + ".gz");
            if (!Files.exists(file)) {
                file = dir.resolve("html").resolve(e.getValue().get("file").asText());
            }
            byte[] html;
            try (InputStream in = file.toString().endsWith(".gz") ? new GZIPInputStream(Files.newInputStream(file)) : Files.newInputStream(file)) {
                html = in.readAllBytes();
            }
            long t0 = System.nanoTime();
            Document doc = Jsoup.parse(new ByteArrayInputStream(html), null, e.getKey());
            String wholeText = normalise(doc.body() == null ? doc.text() : doc.body().text());
            String text = normalise(ContentExtractor.extract(doc).text());
            nanos += System.nanoTime() - t0;
            pages++;
            score(e.getValue(), text, ours);
            if (Boolean.getBoolean("bench.verbose")) {
                for (JsonNode w : e.getValue().path("with")) {
                    if (!text.contains(normalise(w.asText()))) {
                        System.err.println("MISS " + e.getValue().get("file").asText() + " | " + w.asText() + " | len=" + text.length());
                    }
                }
                for (JsonNode w : e.getValue().path("without")) {
                    if (text.contains(normalise(w.asText()))) {
                        System.err.println("JUNK " + e.getValue().get("file").asText() + " | " + w.asText());
                    }
                }
            }
            score(e.getValue(), wholeText, whole);
        }
        System.out.printf("## Main-content extraction: %d pages of extraction-dev%n%n", pages);
        System.out.println("| extractor | precision | recall | F1 |");
        System.out.println("|---|---|---|---|");
        row("loopline ContentExtractor", ours);
        row("whole page text (baseline)", whole);
        System.out.printf("%nParse + extract: %.1f ms per page on average (one thread).%n", nanos / 1e6 / pages);
    }

    private static void score(JsonNode page, String text, int[] counts) {
        for (JsonNode s : page.path("with")) {
            if (text.contains(normalise(s.asText()))) {
                counts[0]++;
            } else {
                counts[1]++;
            }
        }
        for (JsonNode s : page.path("without")) {
            if (text.contains(normalise(s.asText()))) {
                counts[2]++;
            }
        }
    }

    private static void row(String name, int[] c) {
        double p = c[0] / (double) (c[0] + c[2]);
        double r = c[0] / (double) (c[0] + c[1]);
        System.out.printf("| %s | %.3f | %.3f | %.3f |%n", name, p, r, 2 * p * r / (p + r));
    }

    static String normalise(String s) {
        return s.replaceAll("\\s+", " ").strip();
    }
}
