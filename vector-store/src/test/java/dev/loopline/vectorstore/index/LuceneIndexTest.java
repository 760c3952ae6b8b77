package dev.loopline.vectorstore.index;

import java.nio.file.Path;

/** The backend contract on embedded Lucene. */
class LuceneIndexTest extends VectorIndexContract {
    @Override
    protected VectorIndex open(Path dir) {
        return new LuceneIndex(dir, LuceneIndex.Settings.DEFAULT);
    }
}
