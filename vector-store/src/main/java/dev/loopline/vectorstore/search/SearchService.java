package dev.loopline.vectorstore.search;

import dev.loopline.vectorstore.embed.Embedder;
import dev.loopline.vectorstore.index.VectorIndex;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a search over one vector store: each query is embedded once, then the vector ranking and
 * (for hybrid) the BM25 ranking are fetched with the filter inside both queries and fused.
 *
 * <p>Scores: with ranker {@code none}, the vector similarity ((1 + cosine) / 2). With hybrid,
 * the weighted reciprocal-rank-fusion score Σ wᵢ / (60 + rankᵢ), divided by its maximum
 * Σ wᵢ / 61, so 1.0 means "first in every ranking" and the value is in [0, 1]. With several
 * queries, each query's ranking takes part in the fusion. {@code score_threshold} applies to the
 * score as reported.
 */
public final class SearchService {
    static final int RRF_K = 60;
    /** Each ranking contributes this many candidates per requested result (at least 50). */
    private static final int CANDIDATES_PER_RESULT = 4;
    /** HNSW candidates explored per vector search (ef): recall@10 ≈ 0.99 on 100k real embeddings, see docs/benchmarks.md. */
    static final int VECTOR_CANDIDATES = 100;

    private final Embedder embedder;
    private final VectorIndex index;

    public SearchService(Embedder embedder, VectorIndex index) {
        this.embedder = embedder;
        this.index = index;
    }

    public List<VectorIndex.Hit> search(String storeId, SearchRequest r) {
        List<float[]> vectors = embedder.embedQueries(r.queries());
        int k = Math.max(50, r.maxResults() * CANDIDATES_PER_RESULT);
        if (!r.hybrid()) {
            Map<String, VectorIndex.Hit> best = new HashMap<>();
            for (float[] v : vectors) {
                for (VectorIndex.Hit h : index.vectorSearch(storeId, v, r.maxResults(), Math.max(k, VECTOR_CANDIDATES), r.filter())) {
                    best.merge(h.key(), h, (a, b) -> a.score() >= b.score() ? a : b);
                }
            }
            return best.values().stream().sorted(Comparator.comparingDouble(VectorIndex.Hit::score).reversed())
                    .filter(h -> h.score() >= r.scoreThreshold()).limit(r.maxResults()).toList();
        }
        List<List<VectorIndex.Hit>> vectorRankings = new ArrayList<>();
        List<List<VectorIndex.Hit>> textRankings = new ArrayList<>();
        for (int i = 0; i < r.queries().size(); i++) {
            if (r.embeddingWeight() > 0) {
                vectorRankings.add(index.vectorSearch(storeId, vectors.get(i), k, Math.max(k, VECTOR_CANDIDATES), r.filter()));
            }
            textRankings.add(index.textSearch(storeId, r.queries().get(i), k, r.filter()));
        }
        return fuse(vectorRankings, r.embeddingWeight(), textRankings, r.textWeight(), r.maxResults(), r.scoreThreshold());
    }

    /** Weighted reciprocal rank fusion, normalised to [0, 1]. */
    static List<VectorIndex.Hit> fuse(List<List<VectorIndex.Hit>> vectorRankings, double vectorWeight,
                                      List<List<VectorIndex.Hit>> textRankings, double textWeight, int limit, double threshold) {
        Map<String, double[]> scores = new LinkedHashMap<>();
        Map<String, VectorIndex.Hit> hits = new HashMap<>();
        double max = 0;
        for (List<VectorIndex.Hit> ranking : vectorRankings) {
            max += vectorWeight / (RRF_K + 1);
            add(ranking, vectorWeight, scores, hits);
        }
        for (List<VectorIndex.Hit> ranking : textRankings) {
            max += textWeight / (RRF_K + 1);
            add(ranking, textWeight, scores, hits);
        }
        double norm = max;
        return scores.entrySet().stream()
                .map(e -> {
                    VectorIndex.Hit h = hits.get(e.getKey());
                    return new VectorIndex.Hit(h.fileId(), h.filename(), h.ordinal(), h.text(), h.attributes(),
                            (float) Math.min(1.0, e.getValue()[0] / norm));
                })
                .sorted(Comparator.comparingDouble(VectorIndex.Hit::score).reversed())
                .filter(h -> h.score() >= threshold)
                .limit(limit)
                .toList();
    }

    private static void add(List<VectorIndex.Hit> ranking, double weight, Map<String, double[]> scores, Map<String, VectorIndex.Hit> hits) {
        for (int rank = 0; rank < ranking.size(); rank++) {
            VectorIndex.Hit h = ranking.get(rank);
            scores.computeIfAbsent(h.key(), x -> new double[1])[0] += weight / (RRF_K + rank + 1);
            hits.putIfAbsent(h.key(), h);
        }
    }
}
