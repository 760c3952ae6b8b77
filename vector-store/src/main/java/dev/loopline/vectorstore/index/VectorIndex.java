package dev.loopline.vectorstore.index;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.vectorstore.chunk.Chunk;
import dev.loopline.vectorstore.search.Filter;

import java.util.List;

/**
 * Where the chunks of every vector store live and are searched. {@link LuceneIndex} is embedded
 * (one machine); {@code opensearch.OpenSearchIndex} is the same contract over an OpenSearch cluster.
 * Every write is durable when the call returns (a crash afterwards loses nothing).
 */
public interface VectorIndex extends AutoCloseable {
    String backend();

    /** Replaces any chunks of this file in the store with these. */
    void addFile(String storeId, FileChunks file);

    void deleteFile(String storeId, String fileId);

    void updateAttributes(String storeId, String fileId, ObjectNode attributes);

    void dropStore(String storeId);

    /**
     * The {@code k} nearest chunks by vector similarity, found among {@code candidates} (≥ k)
     * explored by the HNSW search (its ef: more candidates, better recall, slower); score in [0, 1]
     * ((1 + cosine) / 2).
     */
    List<Hit> vectorSearch(String storeId, float[] query, int k, int candidates, Filter filter);

    default List<Hit> vectorSearch(String storeId, float[] query, int k, Filter filter) {
        return vectorSearch(storeId, query, k, k, filter);
    }

    /** Best chunks by BM25 keyword relevance; the score is raw BM25 (rank only). */
    List<Hit> textSearch(String storeId, String query, int k, Filter filter);

    /** Housekeeping after a burst of writes to a store (the embedded backend merges segments). */
    default void maintain(String storeId) {
    }

    /** The chunks of one file in order (for {@code …/files/{id}/content}). */
    List<Hit> fileChunks(String storeId, String fileId);

    @Override
    void close();

    record FileChunks(String fileId, String filename, ObjectNode attributes, List<Chunk> chunks, List<float[]> vectors) {
    }

    record Hit(String fileId, String filename, int ordinal, String text, JsonNode attributes, float score) {
        public String key() {
            return fileId + ":" + ordinal;
        }
    }
}
