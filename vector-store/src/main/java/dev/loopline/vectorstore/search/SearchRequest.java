package dev.loopline.vectorstore.search;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.errors.ApiException;

import java.util.ArrayList;
import java.util.List;

/**
 * A parsed {@code POST /v1/vector_stores/{id}/search} body (also what file_search sends).
 *
 * <p>{@code ranking_options.ranker}: {@code none} ranks by vector similarity alone; {@code auto}
 * and {@code default-2024-11-15} (the default) fuse vector and BM25 rankings by weighted reciprocal
 * rank fusion, weights from {@code ranking_options.hybrid_search} (1 and 1 unless given).
 * {@code rewrite_query} is accepted and has no effect (there is no rewriting model); the queries
 * are echoed back unchanged in {@code search_query}.
 */
public record SearchRequest(List<String> queries, int maxResults, Filter filter, String ranker, double scoreThreshold,
                            double embeddingWeight, double textWeight) {
    /** The longest query: past ~256 tokens a query embeds as an average of windows, and a long one only costs time. */
    public static final int MAX_QUERY_CHARS = 4096;

    public static SearchRequest parse(JsonNode body) {
        List<String> queries = new ArrayList<>();
        JsonNode q = body.path("query");
        if (q.isTextual()) {
            queries.add(q.asText());
        } else if (q.isArray()) {
            for (JsonNode item : q) {
                if (!item.isTextual()) {
                    throw ApiException.badRequest("query", "'query' must be a string or an array of strings.");
                }
                queries.add(item.asText());
            }
        } else if (q.isMissingNode() || q.isNull()) {
            throw ApiException.badRequest("query", "Missing required parameter: 'query'.", "missing_required_parameter");
        } else {
            throw ApiException.badRequest("query", "'query' must be a string or an array of strings.");
        }
        queries.removeIf(String::isBlank);
        for (String query : queries) {
            if (query.length() > MAX_QUERY_CHARS) {
                throw ApiException.badRequest("query", "A query may be at most " + MAX_QUERY_CHARS + " characters (the embedding model reads "
                        + "about the first 256 tokens of it anyway).", "query_too_long");
            }
        }
        if (queries.isEmpty()) {
            throw ApiException.badRequest("query", "'query' must not be empty.");
        }
        if (queries.size() > 10) {
            throw ApiException.badRequest("query", "At most 10 queries per search.");
        }
        int max = 10;
        JsonNode m = body.path("max_num_results");
        if (!m.isMissingNode() && !m.isNull()) {
            if (!m.isIntegralNumber() || m.asInt() < 1 || m.asInt() > 50) {
                throw ApiException.badRequest("max_num_results", "'max_num_results' must be an integer between 1 and 50.");
            }
            max = m.asInt();
        }
        JsonNode f = body.path("filters");
        Filter filter = f.isMissingNode() || f.isNull() ? null : Filter.parse(f, "filters");
        JsonNode r = body.path("ranking_options");
        String ranker = "auto";
        double threshold = 0;
        double ew = 1;
        double tw = 1;
        if (!r.isMissingNode() && !r.isNull()) {
            if (!r.isObject()) {
                throw ApiException.badRequest("ranking_options", "'ranking_options' must be an object.");
            }
            if (r.has("ranker")) {
                ranker = r.get("ranker").asText();
                if (!List.of("none", "auto", "default-2024-11-15").contains(ranker)) {
                    throw ApiException.badRequest("ranking_options.ranker", "'ranker' must be one of none, auto, default-2024-11-15.");
                }
            }
            if (r.has("score_threshold")) {
                JsonNode t = r.get("score_threshold");
                if (!t.isNumber() || t.asDouble() < 0 || t.asDouble() > 1) {
                    throw ApiException.badRequest("ranking_options.score_threshold", "'score_threshold' must be a number between 0 and 1.");
                }
                threshold = t.asDouble();
            }
            JsonNode h = r.path("hybrid_search");
            if (h.isObject()) {
                ew = weight(h, "embedding_weight");
                tw = weight(h, "text_weight");
                if (ew + tw <= 0) {
                    throw ApiException.badRequest("ranking_options.hybrid_search", "At least one hybrid_search weight must be positive.");
                }
            }
        }
        return new SearchRequest(List.copyOf(queries), max, filter, ranker, threshold, ew, tw);
    }

    private static double weight(JsonNode h, String name) {
        JsonNode w = h.path(name);
        if (!w.isNumber() || w.asDouble() < 0) {
            throw ApiException.badRequest("ranking_options.hybrid_search." + name, "'" + name + "' must be a non-negative number.");
        }
        return w.asDouble();
    }

    public boolean hybrid() {
        return !ranker.equals("none") && textWeight > 0;
    }
}
