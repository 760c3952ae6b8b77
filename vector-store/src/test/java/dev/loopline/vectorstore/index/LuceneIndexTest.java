package dev.loopline.vectorstore.index;

import dev.loopline.common.json.Json;
import dev.loopline.vectorstore.chunk.Chunk;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The backend contract on embedded Lucene, plus its own segment maintenance. */
class LuceneIndexTest extends VectorIndexContract {
    @Override
    protected VectorIndex open(Path dir) {
        return new LuceneIndex(dir, LuceneIndex.Settings.DEFAULT);
    }

    @Test
    void anIdleStoreWithManySegmentsIsMergedIntoOne(@TempDir Path dir) {
        Random r = new Random(7);
        // Lucene's own merge policy keeps tiny segments under about ten; a low threshold makes them count.
        try (LuceneIndex index = new LuceneIndex(dir, LuceneIndex.Settings.DEFAULT, 2)) {
            int files = 0;
            while (index.segments(storeId) <= 2) {
                assertTrue(files < 200, "segments never accumulated");
                index.addFile(storeId, new VectorIndex.FileChunks("file-" + files, "f.txt", Json.object(),
                        List.of(new Chunk(0, "chunk of file " + files, 4)), List.of(unit(r, 32))));
                files++;
            }
            index.maintain(storeId);
            assertEquals(1, index.segments(storeId));
            assertEquals(Math.min(files, 100), index.vectorSearch(storeId, unit(r, 32), 100, null).size());
        }
    }

    @Test
    void aSecondReplicaOnTheSameIndexDirectoryIsRefusedUntilTheFirstCloses(@TempDir Path dir) {
        LuceneIndex first = new LuceneIndex(dir, LuceneIndex.Settings.DEFAULT);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new LuceneIndex(dir, LuceneIndex.Settings.DEFAULT));
        assertTrue(e.getMessage().contains("LOOPLINE_VECTOR_BACKEND=opensearch"), e.getMessage());
        first.close();
        new LuceneIndex(dir, LuceneIndex.Settings.DEFAULT).close();
    }
}
