package dev.loopline.vectorstore.index;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.json.Json;
import dev.loopline.vectorstore.chunk.Chunk;
import dev.loopline.vectorstore.search.Filter;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene103.Lucene103Codec;
import org.apache.lucene.codecs.lucene99.Lucene99HnswScalarQuantizedVectorsFormat;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.IntField;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.KnnVectorValues;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.Sort;
import org.apache.lucene.search.SortField;
import org.apache.lucene.search.SortedNumericSortField;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.IOUtils;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The embedded backend: one Lucene index per vector store under {@code <data-dir>/vector-store/<id>}.
 *
 * <p>Why per store rather than one shared index with a store field: each store's HNSW graph holds
 * only its own vectors, so a search never walks (or filters out) other tenants' chunks, recall does
 * not depend on how big the other stores are, and deleting a store is deleting a directory.
 *
 * <p>Each chunk is a document: text (BM25 through {@link EnglishAnalyzer}), a
 * {@link KnnFloatVectorField} (HNSW, dot product over unit vectors), its file id, file name,
 * ordinal and attributes (typed fields for filters; the JSON stored for results). Writes commit
 * before returning; a {@link SearcherManager} per store is refreshed after each commit, so
 * searches reuse one searcher and never wait for indexing.
 */
public final class LuceneIndex implements VectorIndex {
    private static final String VECTOR = "vec";
    private final Path root;
    private final FileLock replicaLock;
    private final Settings settings;
    private final int maxIdleSegments;
    private final Analyzer analyzer = new EnglishAnalyzer();
    private final ConcurrentHashMap<String, Store> stores = new ConcurrentHashMap<>();

    /** HNSW graph settings and vector quantization ({@code none} = fp32, {@code int8}, {@code int4}). */
    public record Settings(int maxConnections, int beamWidth, String quantization) {
        /** M=32, beam 200: recall@10 0.987 at ef 80 on 100k real embeddings (M=16/100: 0.969), see docs/benchmarks.md. */
        public static final Settings DEFAULT = new Settings(32, 200, "none");

        KnnVectorsFormat format() {
            return switch (quantization) {
                case "none" -> new Lucene99HnswVectorsFormat(maxConnections, beamWidth);
                case "int8" -> new Lucene99HnswScalarQuantizedVectorsFormat(maxConnections, beamWidth, 1, 7, false, null, null);
                case "int4" -> new Lucene99HnswScalarQuantizedVectorsFormat(maxConnections, beamWidth, 1, 4, true, null, null);
                default -> throw new IllegalStateException("vector quantization must be none, int8 or int4, not " + quantization);
            };
        }
    }

    public LuceneIndex(Path root, Settings settings) {
        this(root, settings, MAX_IDLE_SEGMENTS);
    }

    LuceneIndex(Path root, Settings settings, int maxIdleSegments) {
        this.maxIdleSegments = maxIdleSegments;
        this.root = root;
        this.settings = settings;
        settings.format();
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + root, e);
        }
        this.replicaLock = lockForThisReplica(root);
    }

    /**
     * A Lucene index serves one process: a second replica on the same directory (a shared volume)
     * would fail on Lucene's write.lock at its first write and return 500s from then on. It is
     * refused at start instead, saying what to do.
     */
    private static FileLock lockForThisReplica(Path root) {
        try {
            FileChannel ch = FileChannel.open(root.resolve("replica.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                ch.close();
                throw new IllegalStateException("Another loopline process already uses the Lucene vector index in " + root
                        + ". A Lucene index serves one replica: give each replica its own LOOPLINE_DATA_DIR, or run several "
                        + "replicas with LOOPLINE_VECTOR_BACKEND=opensearch (and LOOPLINE_FILE_STORAGE=database or s3).");
            }
            return lock;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot lock " + root, e);
        }
    }

    @Override
    public String backend() {
        return "lucene";
    }

    private final class Store {
        final Directory dir;
        final IndexWriter writer;
        final SearcherManager searchers;

        Store(String id) throws IOException {
            this.dir = FSDirectory.open(root.resolve(id));
            IndexWriterConfig config = new IndexWriterConfig(analyzer);
            KnnVectorsFormat format = settings.format();
            config.setCodec(new Lucene103Codec() {
                @Override
                public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
                    return format;
                }
            });
            config.setRAMBufferSizeMB(64);
            this.writer = new IndexWriter(dir, config);
            this.searchers = new SearcherManager(writer, null);
        }

        void commit() throws IOException {
            writer.commit();
            searchers.maybeRefreshBlocking();
        }

        void close() throws IOException {
            IOUtils.close(searchers, writer, dir);
        }
    }

    private Store store(String id) {
        if (!id.matches("[A-Za-z0-9_-]+")) {
            throw new IllegalArgumentException("bad vector store id");
        }
        return stores.computeIfAbsent(id, k -> {
            try {
                return new Store(k);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot open index of " + k, e);
            }
        });
    }

    /** Whether the store has an index (open, or on disk from an earlier run). */
    private boolean exists(String storeId) {
        return stores.containsKey(storeId) || Files.isDirectory(root.resolve(storeId));
    }

    private interface SearcherWork<T> {
        T apply(IndexSearcher searcher) throws IOException;
    }

    /** Runs {@code work} on the store's current searcher, released afterwards. */
    private static <T> T withSearcher(Store s, SearcherWork<T> work) {
        try {
            IndexSearcher searcher = s.searchers.acquire();
            try {
                return work.apply(searcher);
            } finally {
                s.searchers.release(searcher);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void addFile(String storeId, FileChunks file) {
        Store s = store(storeId);
        List<Document> docs = new ArrayList<>(file.chunks().size());
        for (int i = 0; i < file.chunks().size(); i++) {
            Chunk c = file.chunks().get(i);
            docs.add(document(file.fileId(), file.filename(), c.ordinal(), c.text(), file.attributes(), file.vectors().get(i)));
        }
        try {
            s.writer.updateDocuments(new Term("file_id", file.fileId()), docs);
            s.commit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Document document(String fileId, String filename, int ordinal, String text, JsonNode attributes, float[] vector) {
        Document d = new Document();
        d.add(new StringField("file_id", fileId, Field.Store.YES));
        d.add(new StoredField("filename", filename));
        d.add(new StoredField("ord", ordinal));
        d.add(new IntField("ord_sort", ordinal, Field.Store.NO));
        d.add(new TextField("text", text, Field.Store.YES));
        d.add(new KnnFloatVectorField(VECTOR, vector, VectorSimilarityFunction.DOT_PRODUCT));
        d.add(new StoredField("attrs", attributes == null ? "{}" : Json.string(attributes)));
        LuceneFilters.addAttributes(d, attributes);
        return d;
    }

    @Override
    public void deleteFile(String storeId, String fileId) {
        if (!exists(storeId)) {
            return;
        }
        Store s = store(storeId);
        try {
            s.writer.deleteDocuments(new Term("file_id", fileId));
            s.commit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void updateAttributes(String storeId, String fileId, ObjectNode attributes) {
        Store s = store(storeId);
        synchronized (s) {
            List<Document> docs = withSearcher(s, searcher -> {
                List<Document> rebuilt = new ArrayList<>();
                TopDocs all = searcher.search(new TermQuery(new Term("file_id", fileId)), Integer.MAX_VALUE);
                for (ScoreDoc sd : all.scoreDocs) {
                    Document stored = searcher.storedFields().document(sd.doc);
                    rebuilt.add(document(fileId, stored.get("filename"), stored.getField("ord").numericValue().intValue(),
                            stored.get("text"), attributes, vector(searcher, sd.doc)));
                }
                return rebuilt;
            });
            try {
                if (!docs.isEmpty()) {
                    s.writer.updateDocuments(new Term("file_id", fileId), docs);
                    s.commit();
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private static float[] vector(IndexSearcher searcher, int doc) throws IOException {
        List<LeafReaderContext> leaves = searcher.getIndexReader().leaves();
        LeafReaderContext leaf = leaves.get(ReaderUtil.subIndex(doc, leaves));
        FloatVectorValues values = leaf.reader().getFloatVectorValues(VECTOR);
        KnnVectorValues.DocIndexIterator it = values.iterator();
        int local = doc - leaf.docBase;
        if (it.advance(local) != local) {
            throw new IllegalStateException("chunk without a vector");
        }
        return values.vectorValue(it.index()).clone();
    }

    /**
     * Merges a store's index into one segment (one HNSW graph): searches then visit one graph
     * instead of one per segment. An offline maintenance step for large, settled stores.
     */
    public void compact(String storeId) {
        Store s = store(storeId);
        try {
            s.writer.forceMerge(1);
            s.commit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Above this many segments an idle store is merged into one (one HNSW graph to search). */
    static final int MAX_IDLE_SEGMENTS = 8;

    /**
     * Called when ingestion has gone idle: every commit of a file makes a segment, and a search
     * walks one HNSW graph per segment, so a store left with many is merged into one in the
     * background (searches go on meanwhile, on the old segments).
     */
    @Override
    public void maintain(String storeId) {
        if (stores.containsKey(storeId) && segments(storeId) > maxIdleSegments) {
            compact(storeId);
        }
    }

    /** How many segments (HNSW graphs) a search of this store visits. */
    public int segments(String storeId) {
        return withSearcher(store(storeId), searcher -> searcher.getIndexReader().leaves().size());
    }

    @Override
    public void dropStore(String storeId) {
        Store s = stores.remove(storeId);
        try {
            if (s != null) {
                s.close();
            }
            Path dir = root.resolve(storeId);
            if (Files.isDirectory(dir)) {
                try (var files = Files.list(dir)) {
                    for (Path p : files.toList()) {
                        Files.deleteIfExists(p);
                    }
                }
                Files.deleteIfExists(dir);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public List<Hit> vectorSearch(String storeId, float[] query, int k, int candidates, Filter filter) {
        Query q = new KnnFloatVectorQuery(VECTOR, query, Math.max(k, candidates), filter == null ? null : LuceneFilters.toQuery(filter));
        // Only the best k are read from stored fields; the other candidates only served recall.
        return search(storeId, q, k);
    }

    @Override
    public List<Hit> textSearch(String storeId, String query, int k, Filter filter) {
        Set<String> terms = analyze(query);
        if (terms.isEmpty()) {
            return List.of();
        }
        BooleanQuery.Builder words = new BooleanQuery.Builder();
        for (String t : terms) {
            words.add(new TermQuery(new Term("text", t)), BooleanClause.Occur.SHOULD);
        }
        BooleanQuery.Builder q = new BooleanQuery.Builder().add(words.build(), BooleanClause.Occur.MUST);
        if (filter != null) {
            q.add(LuceneFilters.toQuery(filter), BooleanClause.Occur.FILTER);
        }
        return search(storeId, q.build(), k);
    }

    private Set<String> analyze(String text) {
        Set<String> out = new LinkedHashSet<>();
        try (TokenStream ts = analyzer.tokenStream("text", text)) {
            CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
            ts.reset();
            while (ts.incrementToken() && out.size() < 256) {
                out.add(term.toString());
            }
            ts.end();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    private List<Hit> search(String storeId, Query q, int k) {
        if (!exists(storeId)) {
            return List.of();
        }
        return withSearcher(store(storeId), searcher -> {
            TopDocs top = searcher.search(q, Math.max(1, k));
            List<Hit> hits = new ArrayList<>(top.scoreDocs.length);
            for (ScoreDoc sd : top.scoreDocs) {
                hits.add(hit(searcher, sd.doc, sd.score));
            }
            return hits;
        });
    }

    private static Hit hit(IndexSearcher searcher, int doc, float score) throws IOException {
        Document d = searcher.storedFields().document(doc);
        return new Hit(d.get("file_id"), d.get("filename"), d.getField("ord").numericValue().intValue(), d.get("text"),
                Json.parse(d.get("attrs")), score);
    }

    @Override
    public List<Hit> fileChunks(String storeId, String fileId) {
        if (!exists(storeId)) {
            return List.of();
        }
        return withSearcher(store(storeId), searcher -> {
            TopDocs all = searcher.search(new TermQuery(new Term("file_id", fileId)), Integer.MAX_VALUE,
                    new Sort(new SortedNumericSortField("ord_sort", SortField.Type.INT)));
            List<Hit> hits = new ArrayList<>();
            for (ScoreDoc sd : all.scoreDocs) {
                hits.add(hit(searcher, sd.doc, 0));
            }
            return hits;
        });
    }

    @Override
    public void close() {
        for (Store s : stores.values()) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        stores.clear();
        try {
            replicaLock.channel().close(); // releases the lock
        } catch (IOException ignored) {
            // the process is ending or the index is closed anyway
        }
    }
}
