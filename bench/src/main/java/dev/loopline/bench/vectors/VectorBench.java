package dev.loopline.bench.vectors;

import dev.loopline.bench.Latencies;
import dev.loopline.common.json.Json;
import dev.loopline.vectorstore.chunk.Chunk;
import dev.loopline.vectorstore.embed.OnnxMiniLm;
import dev.loopline.vectorstore.index.LuceneIndex;
import dev.loopline.vectorstore.index.VectorIndex;
import dev.loopline.vectorstore.search.Filter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * HNSW recall and latency on real sentence embeddings: N sentences (default 100k; {@link Corpora},
 * Javadoc first, Debian-installed documentation beyond ~160k) and 1,000 other sentences of the same
 * corpus as queries, all embedded with all-MiniLM-L6-v2. The truth is exact
 * brute-force top-10 by dot product; each row is loopline's own {@link LuceneIndex} search
 * (single-threaded, query vectors precomputed), fp32 and int8-quantized, before and after
 * compaction, plus a filter that keeps 10% of the chunks.
 */
public final class VectorBench {
    private static final int K = 10;
    private static final int FILE_SIZE = 1000;

    private VectorBench() {
    }

    public static void main(String[] args) throws Exception {
        int n = Integer.getInteger("bench.n", 100_000);
        int queries = Integer.getInteger("bench.queries", 1000);
        List<String> sentences = Corpora.sentences(n + queries);
        List<float[]> embedded;
        double rate;
        try (OnnxMiniLm model = OnnxMiniLm.load(false, Runtime.getRuntime().availableProcessors())) {
            EmbeddingCache.Embedded e = EmbeddingCache.embed(model, sentences, "corpus");
            embedded = e.vectors();
            rate = e.sentencesPerSecond();
        }
        // Queries are spread evenly over the corpus (every stride-th sentence), so they come from
        // every source in proportion; the rest, in order, is what gets indexed.
        int stride = (n + queries) / queries;
        List<String> all = new ArrayList<>(n);
        List<float[]> vectors = new ArrayList<>(n);
        List<float[]> queryVectors = new ArrayList<>(queries);
        for (int i = 0; i < sentences.size(); i++) {
            if (i % stride == stride / 2 && queryVectors.size() < queries) {
                queryVectors.add(embedded.get(i));
            } else if (vectors.size() < n) {
                all.add(sentences.get(i));
                vectors.add(embedded.get(i));
            }
        }
        System.out.printf("## Vector search: %,d real all-MiniLM-L6-v2 embeddings (384 dims), %,d queries, k=%d%n%n", n, queries, K);
        if (!Double.isNaN(rate)) {
            System.out.printf("Embedding the corpus (fp32, batched, %d cores): %.0f sentences/s%n%n", Runtime.getRuntime().availableProcessors(), rate);
        }
        int[][] exact = new int[queries][];
        int[][] exactFiltered = new int[queries][];
        Latencies brute = new Latencies();
        for (int q = 0; q < Math.min(queries, 100); q++) {
            long t0 = System.nanoTime();
            topK(vectors, queryVectors.get(q), false);
            brute.add(System.nanoTime() - t0);
        }
        IntStream.range(0, queries).parallel().forEach(q -> {
            exact[q] = topK(vectors, queryVectors.get(q), false);
            exactFiltered[q] = topK(vectors, queryVectors.get(q), true);
        });
        System.out.println("Exact brute force (one thread): " + brute.summary() + "\n");
        System.out.println("| index | segments | ef (k searched) | filter | recall@10 | p50 | p99 |");
        System.out.println("|---|---|---|---|---|---|---|");
        int m = Integer.getInteger("bench.m", 16);
        int beam = Integer.getInteger("bench.beam", 100);
        for (String quantization : System.getProperty("bench.quantization", "none,int8").split(",")) {
            System.gc();
            long heapBefore = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
            Path dir = Files.createTempDirectory("vector-bench");
            try (LuceneIndex index = new LuceneIndex(dir, new LuceneIndex.Settings(m, beam, quantization))) {
                long t0 = System.nanoTime();
                for (int f = 0; f * FILE_SIZE < n; f++) {
                    int from = f * FILE_SIZE;
                    int to = Math.min(n, from + FILE_SIZE);
                    List<Chunk> chunks = new ArrayList<>();
                    for (int i = from; i < to; i++) {
                        chunks.add(new Chunk(i - from, all.get(i), 0));
                    }
                    index.addFile("vs_bench", new VectorIndex.FileChunks("file-" + f, "f" + f, Json.object().put("group", f % 10),
                            chunks, vectors.subList(from, to)));
                }
                double buildSeconds = (System.nanoTime() - t0) / 1e9;
                String label = (quantization.equals("none") ? "fp32" : quantization) + " M=" + m + " beam=" + beam;
                for (boolean compacted : List.of(false, true)) {
                    if (compacted) {
                        long c0 = System.nanoTime();
                        index.compact("vs_bench");
                        System.err.printf("compaction took %.1f s%n", (System.nanoTime() - c0) / 1e9);
                    }
                    int segments = index.segments("vs_bench");
                    for (int ef : List.of(10, 20, 40, 80, 160)) {
                        row(index, label, segments, ef, null, queryVectors, exact);
                    }
                    Filter tenPercent = new Filter.Comparison("eq", "group", List.of(3.0));
                    for (int ef : List.of(40, 80)) {
                        row(index, label, segments, ef, tenPercent, queryVectors, exactFiltered);
                    }
                }
                System.gc();
                long heap = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
                System.out.printf("%n%s: indexed in %.1f s (%.0f chunks/s, commits per 1,000-chunk file), index %.0f MB on disk, "
                                + "JVM heap held by the open index after GC %.0f MB (vectors are memory-mapped, off heap; "
                        + "the benchmark's own copy of the vectors is not counted)%n%n",
                        label, buildSeconds, n / buildSeconds, size(dir) / 1e6, (heap - heapBefore) / 1e6);
            } finally {
                try (Stream<Path> paths = Files.walk(dir)) {
                    paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    private static void row(LuceneIndex index, String label, int segments, int ef, Filter filter, List<float[]> queries, int[][] truth) {
        for (int w = 0; w < Math.min(200, queries.size()); w++) {
            index.vectorSearch("vs_bench", queries.get(w), K, ef, filter);
        }
        Latencies lat = new Latencies();
        double recall = 0;
        for (int q = 0; q < queries.size(); q++) {
            long t0 = System.nanoTime();
            List<VectorIndex.Hit> hits = index.vectorSearch("vs_bench", queries.get(q), K, ef, filter);
            lat.add(System.nanoTime() - t0);
            int found = 0;
            for (int i = 0; i < Math.min(K, hits.size()); i++) {
                VectorIndex.Hit h = hits.get(i);
                int id = Integer.parseInt(h.fileId().substring(5)) * FILE_SIZE + h.ordinal();
                for (int t : truth[q]) {
                    if (t == id) {
                        found++;
                        break;
                    }
                }
            }
            recall += found / (double) K;
        }
        System.out.printf("| %s | %d | %d | %s | %.3f | %.2f ms | %.2f ms |%n", label, segments, ef,
                filter == null ? "none" : "10% of chunks", recall / queries.size(), lat.percentileMillis(50), lat.percentileMillis(99));
    }

    /** Exact top-K ids by dot product (optionally only group 3, the filtered benchmark's 10%). */
    static int[] topK(List<float[]> vectors, float[] q, boolean filtered) {
        int[] best = new int[K];
        float[] score = new float[K];
        Arrays.fill(score, Float.NEGATIVE_INFINITY);
        for (int i = 0; i < vectors.size(); i++) {
            if (filtered && (i / FILE_SIZE) % 10 != 3) {
                continue;
            }
            float[] v = vectors.get(i);
            float dot = 0;
            for (int d = 0; d < v.length; d++) {
                dot += v[d] * q[d];
            }
            if (dot > score[K - 1]) {
                int j = K - 1;
                while (j > 0 && score[j - 1] < dot) {
                    score[j] = score[j - 1];
                    best[j] = best[j - 1];
                    j--;
                }
                score[j] = dot;
                best[j] = i;
            }
        }
        return best;
    }

    private static long size(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }
}
