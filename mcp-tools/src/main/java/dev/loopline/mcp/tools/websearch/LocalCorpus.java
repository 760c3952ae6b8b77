package dev.loopline.mcp.tools.websearch;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.json.Json;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.BoostQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.store.Directory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The offline web_search backend: BM25 (Lucene's default similarity) over documents the
 * operator provides as JSON lines ({@code {"title","url","text","published_date"}}), plus the
 * small demo corpus shipped in the jar. The index is built in memory at start-up; a corpus too
 * big for that belongs in a real search backend (SearXNG, Serper).
 */
public final class LocalCorpus implements AutoCloseable {
    public record Hit(String title, String url, String snippet, String publishedDate, double score) {
    }

    private final Analyzer analyzer = new StandardAnalyzer();
    private final Directory dir = new ByteBuffersDirectory();
    private final DirectoryReader reader;
    private final IndexSearcher searcher;
    private final int size;

    public LocalCorpus(List<Path> extraFiles) {
        int n = 0;
        try (IndexWriter w = new IndexWriter(dir, new IndexWriterConfig(analyzer))) {
            try (InputStream demo = LocalCorpus.class.getResourceAsStream("/websearch/demo-corpus.jsonl")) {
                if (demo != null) {
                    n += index(w, new BufferedReader(new InputStreamReader(demo, StandardCharsets.UTF_8)));
                }
            }
            for (Path p : extraFiles) {
                try (BufferedReader r = Files.newBufferedReader(p, StandardCharsets.UTF_8)) {
                    n += index(w, r);
                }
            }
            w.commit();
            reader = DirectoryReader.open(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot build the web_search corpus", e);
        }
        this.searcher = new IndexSearcher(reader);
        this.size = n;
    }

    private static int index(IndexWriter w, BufferedReader lines) throws IOException {
        int n = 0;
        String line;
        while ((line = lines.readLine()) != null) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode d = Json.parse(line);
            Document doc = new Document();
            doc.add(new TextField("title", d.path("title").asText(""), Field.Store.YES));
            doc.add(new TextField("text", d.path("text").asText(""), Field.Store.YES));
            doc.add(new StringField("url", d.path("url").asText(""), Field.Store.YES));
            doc.add(new StoredField("published_date", d.path("published_date").asText("")));
            w.addDocument(doc);
            n++;
        }
        return n;
    }

    public int size() {
        return size;
    }

    /** BM25 over title (boosted) and text; every query term is optional, more matches rank higher. */
    public List<Hit> search(String query, int maxResults) {
        Set<String> terms = analyze(query);
        if (terms.isEmpty()) {
            return List.of();
        }
        BooleanQuery.Builder q = new BooleanQuery.Builder();
        for (String t : terms) {
            q.add(new BoostQuery(new TermQuery(new Term("title", t)), 2f), BooleanClause.Occur.SHOULD);
            q.add(new TermQuery(new Term("text", t)), BooleanClause.Occur.SHOULD);
        }
        try {
            List<Hit> hits = new ArrayList<>();
            for (ScoreDoc sd : searcher.search(q.build(), maxResults).scoreDocs) {
                Document d = searcher.storedFields().document(sd.doc);
                hits.add(new Hit(d.get("title"), d.get("url"), snippet(d.get("text"), terms), d.get("published_date"), sd.score));
            }
            return hits;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Set<String> analyze(String text) {
        Set<String> out = new LinkedHashSet<>();
        try (TokenStream ts = analyzer.tokenStream("text", text)) {
            CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
            ts.reset();
            while (ts.incrementToken() && out.size() < 64) {
                out.add(term.toString());
            }
            ts.end();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** The sentence with the most query terms (the text's start when none match), at most 300 chars. */
    static String snippet(String text, Set<String> terms) {
        String best = text;
        int bestCount = -1;
        for (String sentence : text.split("(?<=[.!?])\\s+")) {
            String lower = sentence.toLowerCase();
            int c = 0;
            for (String t : terms) {
                if (lower.contains(t)) {
                    c++;
                }
            }
            if (c > bestCount) {
                bestCount = c;
                best = sentence;
            }
        }
        return best.length() <= 300 ? best : best.substring(0, 299) + "…";
    }

    @Override
    public void close() {
        try {
            reader.close();
            dir.close();
        } catch (IOException ignored) {
            // in-memory
        }
    }
}
