package dev.loopline.bench.vectors;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.json.Json;
import dev.loopline.vectorstore.chunk.Chunk;
import dev.loopline.vectorstore.chunk.Chunker;
import dev.loopline.vectorstore.chunk.ChunkingStrategy;
import dev.loopline.vectorstore.embed.OnnxMiniLm;
import dev.loopline.vectorstore.index.LuceneIndex;
import dev.loopline.vectorstore.index.VectorIndex;
import dev.loopline.vectorstore.search.SearchRequest;
import dev.loopline.vectorstore.search.SearchService;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Retrieval quality on a labelled set shipped with the code ({@code eval/manpages.jsonl}, built by
 * {@code bench/eval/make_manpage_eval.py}): 300 man pages, each queried by its one-line summary.
 * The pages go through loopline's own chunker (auto: 256 tokens, 64 overlap), embedder and index;
 * a query succeeds when its page is among the top 5 results. Vector, BM25 and hybrid (RRF) search
 * side by side, for the fp32 and the int8 model.
 */
public final class RetrievalBench {
    private RetrievalBench() {
    }

    record Entry(String id, String query, String text) {
    }

    public static void main(String[] args) throws Exception {
        List<Entry> entries = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(
                RetrievalBench.class.getResourceAsStream("/eval/manpages.jsonl"), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                JsonNode e = Json.parse(line);
                entries.add(new Entry(e.get("id").asText(), e.get("query").asText(), e.get("text").asText()));
            }
        }
        System.out.printf("## Retrieval quality: %d man pages, queried by their NAME summary (recall@5, MRR@10)%n%n", entries.size());
        System.out.println("| model | search | recall@5 | MRR@10 |");
        System.out.println("|---|---|---|---|");
        for (boolean quantized : List.of(false, true)) {
            Path dir = Files.createTempDirectory("retrieval-bench");
            try (OnnxMiniLm model = OnnxMiniLm.load(quantized, Runtime.getRuntime().availableProcessors());
                 LuceneIndex index = new LuceneIndex(dir, LuceneIndex.Settings.DEFAULT)) {
                Chunker chunker = new Chunker(model::tokenizer);
                int chunks = 0;
                for (int i = 0; i < entries.size(); i++) {
                    List<Chunk> cs = chunker.split(entries.get(i).text(), ChunkingStrategy.AUTO);
                    chunks += cs.size();
                    index.addFile("vs_eval", new VectorIndex.FileChunks("file-" + i, entries.get(i).id(), Json.object(), cs,
                            model.embedDocuments(cs.stream().map(Chunk::text).toList())));
                }
                SearchService search = new SearchService(model, index);
                System.err.printf("%s: %d chunks indexed%n", model.model(), chunks);
                report(model.model(), "vector only", entries, search, "none", 1, 0);
                report(model.model(), "BM25 only", entries, search, "auto", 0, 1);
                report(model.model(), "hybrid RRF 1:1 (default)", entries, search, "auto", 1, 1);
                report(model.model(), "hybrid RRF 0.7:0.3", entries, search, "auto", 0.7, 0.3);
            } finally {
                try (Stream<Path> paths = Files.walk(dir)) {
                    paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    private static void report(String model, String label, List<Entry> entries, SearchService search, String ranker,
                               double embeddingWeight, double textWeight) {
        int hits5 = 0;
        double mrr = 0;
        for (int i = 0; i < entries.size(); i++) {
            List<VectorIndex.Hit> results = search.search("vs_eval",
                    new SearchRequest(List.of(entries.get(i).query()), 10, null, ranker, 0, embeddingWeight, textWeight));
            String want = "file-" + i;
            for (int rank = 0; rank < results.size(); rank++) {
                if (results.get(rank).fileId().equals(want)) {
                    if (rank < 5) {
                        hits5++;
                    }
                    mrr += 1.0 / (rank + 1);
                    break;
                }
            }
        }
        System.out.printf("| %s | %s | %.3f | %.3f |%n", model, label, hits5 / (double) entries.size(), mrr / entries.size());
    }
}
