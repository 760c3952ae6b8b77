package dev.loopline.vectorstore.search;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.json.Json;
import dev.loopline.vectorstore.index.VectorIndex;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SearchServiceTest {
    static VectorIndex.Hit hit(String file) {
        return new VectorIndex.Hit(file, file + ".txt", 0, "t", Json.object(), 0.5f);
    }

    @Test
    void reciprocalRankFusionRewardsAgreementAndIsNormalised() {
        List<VectorIndex.Hit> vector = List.of(hit("a"), hit("b"), hit("c"));
        List<VectorIndex.Hit> text = List.of(hit("b"), hit("d"), hit("a"));
        List<VectorIndex.Hit> fused = SearchService.fuse(List.of(vector), 1, List.of(text), 1, 10, 0);
        assertEquals(List.of("b", "a", "d", "c"), fused.stream().map(VectorIndex.Hit::fileId).toList());
        assertTrue(fused.getFirst().score() < 1 && fused.getFirst().score() > 0.9);
        List<VectorIndex.Hit> same = SearchService.fuse(List.of(List.of(hit("x"))), 1, List.of(List.of(hit("x"))), 1, 10, 0);
        assertEquals(1.0, same.getFirst().score(), 1e-6);
        // Weights shift the balance: with text weighted 3:1, the text ranking's first wins.
        List<VectorIndex.Hit> textHeavy = SearchService.fuse(List.of(vector), 1, List.of(text), 3, 10, 0);
        assertEquals("b", textHeavy.getFirst().fileId());
        List<VectorIndex.Hit> vectorHeavy = SearchService.fuse(List.of(List.of(hit("a"), hit("b"))), 3, List.of(List.of(hit("b"), hit("a"))), 1, 10, 0);
        assertEquals("a", vectorHeavy.getFirst().fileId());
        // The threshold applies to the reported score.
        assertEquals(1, SearchService.fuse(List.of(vector), 1, List.of(text), 1, 10, 0.99).size());
    }

    @Test
    void requestParsingAcceptsTheSpecShapes() {
        ObjectNode body = (ObjectNode) Json.parse("{\"query\":[\"a\",\"b\"],\"max_num_results\":5,\"rewrite_query\":true,"
                + "\"ranking_options\":{\"ranker\":\"default-2024-11-15\",\"score_threshold\":0.2,"
                + "\"hybrid_search\":{\"embedding_weight\":0.7,\"text_weight\":0.3}}}");
        SearchRequest r = SearchRequest.parse(body);
        assertEquals(List.of("a", "b"), r.queries());
        assertEquals(5, r.maxResults());
        assertEquals(0.7, r.embeddingWeight(), 1e-9);
        assertTrue(r.hybrid());
        assertEquals(false, SearchRequest.parse((ObjectNode) Json.parse("{\"query\":\"q\",\"ranking_options\":{\"ranker\":\"none\"}}")).hybrid());
    }
}
