package dev.loopline.vectorstore.embed;

import java.util.List;

/**
 * Turns texts into unit-length vectors. One implementation runs all-MiniLM-L6-v2 in process
 * (ONNX Runtime); the other calls an OpenAI-compatible {@code /v1/embeddings} upstream.
 */
public interface Embedder extends AutoCloseable {
    /** The model name stored with each index, so vectors of different models are never mixed. */
    String model();

    int dimensions();

    /** Embeddings for documents being indexed (bulk, may wait behind other work). */
    List<float[]> embedDocuments(List<String> texts);

    /** Embeddings for search queries (short, served ahead of bulk indexing). */
    List<float[]> embedQueries(List<String> texts);

    @Override
    default void close() {
    }
}
