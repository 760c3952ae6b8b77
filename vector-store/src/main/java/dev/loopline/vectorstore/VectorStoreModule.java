package dev.loopline.vectorstore;

import dev.loopline.common.config.Settings;
import dev.loopline.common.server.Platform;
import dev.loopline.common.server.ServiceModule;
import dev.loopline.vectorstore.chunk.Chunker;
import dev.loopline.vectorstore.embed.Embedder;
import dev.loopline.vectorstore.embed.Embedders;
import dev.loopline.vectorstore.embed.WordPiece;
import dev.loopline.vectorstore.files.FileStore;
import dev.loopline.vectorstore.files.blobs.BlobStores;
import dev.loopline.vectorstore.files.FilesApi;
import dev.loopline.vectorstore.parse.DocumentTextApi;
import dev.loopline.vectorstore.index.LuceneIndex;
import dev.loopline.vectorstore.index.VectorIndex;
import dev.loopline.vectorstore.index.opensearch.OpenSearchIndex;
import dev.loopline.vectorstore.ingest.Ingestion;
import dev.loopline.vectorstore.search.SearchService;
import dev.loopline.vectorstore.stores.StoreRepository;
import dev.loopline.vectorstore.stores.VectorStoresApi;
import io.helidon.webserver.http.HttpRouting;

/**
 * vector-store: OpenAI-compatible Files ({@code /v1/files}) and Vector Stores
 * ({@code /v1/vector_stores/**}) over an embedded Lucene index (or OpenSearch), with
 * all-MiniLM-L6-v2 embeddings in process. Files are parsed, chunked, embedded and indexed in the
 * background; interrupted ingestions resume when the service starts.
 */
public final class VectorStoreModule implements ServiceModule {
    private final StoreRepository repo;
    private final FileStore files;
    private final VectorIndex index;
    private final Embedder embedder;
    private final Ingestion ingestion;
    private final FilesApi filesApi;
    private final DocumentTextApi documentText;
    private final VectorStoresApi storesApi;
    private final WordPieceHolder tokenizer = new WordPieceHolder();

    public VectorStoreModule(Platform platform) {
        Settings s = platform.settings();
        this.repo = new StoreRepository(platform.database());
        this.files = new FileStore(platform.database(), platform.dataDir(), BlobStores.fromSettings(s, platform.database(), platform.dataDir()));
        this.embedder = Embedders.fromSettings(platform);
        String backend = s.string("LOOPLINE_VECTOR_BACKEND", "loopline.vector-store.backend", "lucene");
        this.index = switch (backend) {
            case "lucene" -> new LuceneIndex(platform.dataDir().resolve("vector-store"), new LuceneIndex.Settings(
                    s.integer("LOOPLINE_HNSW_M", "loopline.vector-store.hnsw.m", LuceneIndex.Settings.DEFAULT.maxConnections()),
                    s.integer("LOOPLINE_HNSW_BEAM_WIDTH", "loopline.vector-store.hnsw.beam-width", LuceneIndex.Settings.DEFAULT.beamWidth()),
                    s.string("LOOPLINE_VECTOR_QUANTIZATION", "loopline.vector-store.quantization", "none")));
            case "opensearch" -> new OpenSearchIndex(platform.http().client(),
                    s.optional("LOOPLINE_OPENSEARCH_URL", "loopline.vector-store.opensearch.url").orElseThrow(() ->
                            new IllegalStateException("LOOPLINE_VECTOR_BACKEND=opensearch needs LOOPLINE_OPENSEARCH_URL")),
                    s.string("LOOPLINE_OPENSEARCH_INDEX_PREFIX", "loopline.vector-store.opensearch.index-prefix", "loopline-vs-"),
                    embedder.dimensions(),
                    s.string("LOOPLINE_OPENSEARCH_TEXT_ANALYZER", "loopline.vector-store.opensearch.text-analyzer", "english"));
            default -> throw new IllegalStateException("LOOPLINE_VECTOR_BACKEND must be lucene or opensearch, not '" + backend + "'");
        };
        this.ingestion = new Ingestion(repo, files, index, embedder, new Chunker(tokenizer::get),
                s.integer("LOOPLINE_INGEST_THREADS", "loopline.vector-store.ingest-threads", 2));
        long maxFileBytes = s.longValue("LOOPLINE_MAX_FILE_BYTES", "loopline.files.max-bytes", 512L * 1024 * 1024);
        this.filesApi = new FilesApi(files, maxFileBytes, (tenant, fileId) -> {
            for (String storeId : repo.storesWithFile(tenant, fileId)) {
                repo.deleteFile(tenant, storeId, fileId);
                index.deleteFile(storeId, fileId);
            }
        });
        this.documentText = new DocumentTextApi(files, platform.maxBodyBytes());
        this.storesApi = new VectorStoresApi(repo, files, index, ingestion, new SearchService(embedder, index), embedder,
                platform.maxBodyBytes());
        ingestion.resume();
    }

    @Override
    public String name() {
        return "vector-store";
    }

    @Override
    public void routing(HttpRouting.Builder routing) {
        filesApi.routing(routing);
        storesApi.routing(routing);
        documentText.routing(routing);
    }

    public Ingestion ingestion() {
        return ingestion;
    }

    @Override
    public void close() {
        ingestion.close();
        index.close();
        embedder.close();
        tokenizer.close();
    }

    /** The chunking tokenizer, loaded on first use. */
    private static final class WordPieceHolder implements AutoCloseable {
        private volatile WordPiece wordPiece;

        synchronized WordPiece get() {
            if (wordPiece == null) {
                wordPiece = WordPiece.fromClasspath("all-minilm-l6-v2-tokenizer.json");
            }
            return wordPiece;
        }

        @Override
        public synchronized void close() {
            if (wordPiece != null) {
                wordPiece.close();
            }
        }
    }
}
