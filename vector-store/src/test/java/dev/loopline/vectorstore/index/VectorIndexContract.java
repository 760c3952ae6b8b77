package dev.loopline.vectorstore.index;

import dev.loopline.common.json.Json;
import dev.loopline.vectorstore.chunk.Chunk;
import dev.loopline.vectorstore.search.Filter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What every {@link VectorIndex} backend must do; each backend's test extends this. */
public abstract class VectorIndexContract {
    /** A backend instance; a second call with the same dir must see the first one's data. */
    protected abstract VectorIndex open(Path dir);

    /** Store ids unique to this run (a shared OpenSearch may hold older ones). */
    protected final String storeId = "vs_t" + Long.toHexString(System.nanoTime());


    static float[] unit(Random r, int dims) {
        float[] v = new float[dims];
        double n = 0;
        for (int i = 0; i < dims; i++) {
            v[i] = (float) r.nextGaussian();
            n += v[i] * v[i];
        }
        for (int i = 0; i < dims; i++) {
            v[i] /= (float) Math.sqrt(n);
        }
        return v;
    }

    /**
     * A filter that keeps 1 file in 10: post-filtering the top 10 would return about one result;
     * pre-filtering returns ten, all matching, and they are the true nearest matching chunks.
     */
    @Test
    public void selectiveFiltersArePreFiltersNotPostFilters(@TempDir Path dir) {
        Random r = new Random(42);
        int dims = 32;
        List<float[]> all = new ArrayList<>();
        try (VectorIndex index = open(dir)) {
            for (int f = 0; f < 200; f++) {
                List<Chunk> chunks = new ArrayList<>();
                List<float[]> vectors = new ArrayList<>();
                for (int c = 0; c < 10; c++) {
                    chunks.add(new Chunk(c, "file " + f + " chunk " + c, 5));
                    float[] v = unit(r, dims);
                    vectors.add(v);
                    all.add(v);
                }
                index.addFile(storeId, new VectorIndex.FileChunks("file-" + f, "f" + f + ".txt",
                        Json.object().put("group", f % 10).put("tag", f % 10 == 3 ? "rare" : "common"), chunks, vectors));
            }
            float[] q = unit(r, dims);
            Filter rare = new Filter.Comparison("eq", "tag", List.of("rare"));
            List<VectorIndex.Hit> hits = index.vectorSearch(storeId, q, 10, rare);
            assertEquals(10, hits.size());
            hits.forEach(h -> assertEquals("rare", h.attributes().path("tag").asText()));
            // Exact answer among the matching chunks.
            List<double[]> exact = new ArrayList<>();
            for (int i = 0; i < all.size(); i++) {
                int file = i / 10;
                if (file % 10 == 3) {
                    double dot = 0;
                    for (int d = 0; d < dims; d++) {
                        dot += all.get(i)[d] * q[d];
                    }
                    exact.add(new double[]{dot, i});
                }
            }
            exact.sort((a, b) -> Double.compare(b[0], a[0]));
            long found = hits.stream().filter(h -> exact.subList(0, 10).stream()
                    .anyMatch(e -> h.key().equals("file-" + ((int) e[1] / 10) + ":" + ((int) e[1] % 10)))).count();
            assertTrue(found >= 9, "recall " + found + "/10");
            // Numbers compare as numbers.
            assertEquals(10, index.vectorSearch(storeId, q, 10, new Filter.Comparison("lte", "group", List.of(0.0))).stream()
                    .filter(h -> h.attributes().path("group").asInt() == 0).count());
        }
    }

    @Test
    public void writesAreDurableAcrossReopenAndDeletesRemoveChunks(@TempDir Path dir) {
        Random r = new Random(1);
        try (VectorIndex index = open(dir)) {
            index.addFile(storeId, new VectorIndex.FileChunks("file-1", "a.txt", Json.object(),
                    List.of(new Chunk(0, "alpha beta", 2), new Chunk(1, "gamma delta", 2)), List.of(unit(r, 32), unit(r, 32))));
            index.addFile(storeId, new VectorIndex.FileChunks("file-2", "b.txt", Json.object(),
                    List.of(new Chunk(0, "epsilon", 1)), List.of(unit(r, 32))));
        }
        try (VectorIndex index = open(dir)) {
            assertEquals(2, index.fileChunks(storeId, "file-1").size());
            assertEquals("gamma delta", index.fileChunks(storeId, "file-1").get(1).text());
            assertEquals(1, index.textSearch(storeId, "gamma", 10, null).size());
            // Re-adding a file replaces its chunks rather than duplicating them.
            index.addFile(storeId, new VectorIndex.FileChunks("file-1", "a.txt", Json.object(),
                    List.of(new Chunk(0, "alpha beta", 2)), List.of(unit(r, 32))));
            assertEquals(1, index.fileChunks(storeId, "file-1").size());
            index.deleteFile(storeId, "file-1");
            assertEquals(0, index.fileChunks(storeId, "file-1").size());
            assertEquals(1, index.vectorSearch(storeId, unit(r, 32), 10, null).size());
            index.dropStore(storeId);
            assertEquals(0, index.vectorSearch(storeId, unit(r, 32), 10, null).size());
        }
    }
}
