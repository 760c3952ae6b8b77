package dev.loopline.vectorstore.ingest;

import dev.loopline.vectorstore.chunk.Chunk;
import dev.loopline.vectorstore.chunk.Chunker;
import dev.loopline.vectorstore.chunk.ChunkingStrategy;
import dev.loopline.vectorstore.embed.Embedder;
import dev.loopline.vectorstore.files.FileRecord;
import dev.loopline.vectorstore.files.FileStore;
import dev.loopline.vectorstore.index.VectorIndex;
import dev.loopline.vectorstore.parse.DocumentParser;
import dev.loopline.vectorstore.stores.StoreFileRecord;
import dev.loopline.vectorstore.stores.StoreRecord;
import dev.loopline.vectorstore.stores.StoreRepository;

import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Background ingestion of a file into a vector store: parse → chunk → embed (in batches) → index
 * (one Lucene commit) → mark {@code completed}. The row is the source of truth: it says
 * {@code completed} only after the chunks are committed. A run is claimed with a lease on its row
 * ({@link #LEASE}, renewed every {@link #RENEW} while it runs), so replicas sharing the database
 * never run the same file at once; every {@link #SWEEP} each replica looks for in-progress rows
 * nobody holds (never claimed, or their holder died: a crash, a kill -9) and ingests them again
 * from the stored bytes, after their partial chunks are removed. A file whose row left
 * {@code in_progress} meanwhile (cancelled, removed) has its chunks removed instead of published.
 */
public final class Ingestion implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Ingestion.class.getName());
    private static final int EMBED_BATCH = 64;
    /** How long a claim holds without renewal: a dead replica's runs are taken over this long after it stopped renewing. */
    static final Duration LEASE = Duration.ofSeconds(15);
    static final Duration RENEW = Duration.ofSeconds(5);
    static final Duration SWEEP = Duration.ofSeconds(5);
    /** This process, as lease owner. */
    private final String owner = "ingest-" + UUID.randomUUID();
    private final ScheduledExecutorService leases = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "ingest-leases");
        t.setDaemon(true);
        return t;
    });

    private final StoreRepository repo;
    private final FileStore files;
    private final VectorIndex index;
    private final Embedder embedder;
    private final Chunker chunker;
    private final ExecutorService workers;
    private final AtomicInteger pending = new AtomicInteger();
    /** Store files queued here and not started yet (a sweep does not queue them twice). */
    private final Set<String> queued = ConcurrentHashMap.newKeySet();
    /** One lock per store file, so that two runs for the same file never overlap in this process (the lease does across processes). */
    private final ConcurrentHashMap<String, Object> locks = new ConcurrentHashMap<>();

    public Ingestion(StoreRepository repo, FileStore files, VectorIndex index, Embedder embedder, Chunker chunker, int threads) {
        this.repo = repo;
        this.files = files;
        this.index = index;
        this.embedder = embedder;
        this.chunker = chunker;
        AtomicInteger n = new AtomicInteger();
        this.workers = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "ingest-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Queues every in-progress file nobody holds (left by a process that died, or never claimed),
     * now and then every {@link #SWEEP}; renews this process's claims every {@link #RENEW}.
     */
    public int resume() {
        int n = sweep();
        leases.scheduleWithFixedDelay(this::renewQuietly, RENEW.toMillis(), RENEW.toMillis(), TimeUnit.MILLISECONDS);
        leases.scheduleWithFixedDelay(this::sweepQuietly, SWEEP.toMillis(), SWEEP.toMillis(), TimeUnit.MILLISECONDS);
        return n;
    }

    /** Queues the unclaimed in-progress files not already queued here. */
    int sweep() {
        List<StoreFileRecord> unclaimed = repo.unclaimed(System.currentTimeMillis());
        int n = 0;
        for (StoreFileRecord f : unclaimed) {
            if (queued.add(f.storeId() + "/" + f.fileId())) {
                LOG.log(System.Logger.Level.INFO, "taking up the ingestion of " + f.fileId() + " into " + f.storeId());
                submitQueued(f.tenantId(), f.storeId(), f.fileId());
                n++;
            }
        }
        return n;
    }

    private void sweepQuietly() {
        try {
            sweep();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "looking for unclaimed ingestion runs failed: " + e.getMessage());
        }
    }

    private void renewQuietly() {
        try {
            repo.renew(owner, System.currentTimeMillis() + LEASE.toMillis());
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "renewing ingestion leases failed: " + e.getMessage());
        }
    }

    /**
     * Queues a file. Runs for one file are serialised, and a run publishes only if the row is
     * still at the generation it started from: re-adding a file while an older run is under way
     * (new attributes, new chunking) makes the older run's result void.
     */
    public void submit(String tenant, String storeId, String fileId) {
        queued.add(storeId + "/" + fileId);
        submitQueued(tenant, storeId, fileId);
    }

    private void submitQueued(String tenant, String storeId, String fileId) {
        pending.incrementAndGet();
        workers.execute(() -> {
            try {
                synchronized (locks.computeIfAbsent(storeId + "/" + fileId, k -> new Object())) {
                    queued.remove(storeId + "/" + fileId);
                    ingest(tenant, storeId, fileId);
                }
            } finally {
                if (pending.decrementAndGet() == 0) {
                    try {
                        index.maintain(storeId);
                    } catch (RuntimeException e) {
                        LOG.log(System.Logger.Level.WARNING, "maintenance of " + storeId + " failed: " + e.getMessage());
                    }
                }
            }
        });
    }

    /** Files queued or being ingested now. */
    public int pending() {
        return pending.get();
    }

    private void ingest(String tenant, String storeId, String fileId) {
        StoreFileRecord row = repo.file(tenant, storeId, fileId).orElse(null);
        StoreRecord store = repo.store(tenant, storeId).orElse(null);
        if (row == null || store == null || !row.status().equals(StoreRepository.IN_PROGRESS)) {
            return;
        }
        long now = System.currentTimeMillis();
        if (!repo.claim(row, owner, now, now + LEASE.toMillis())) {
            return; // another replica is running it; if it dies, a sweep here takes it over
        }
        try {
            run(tenant, storeId, fileId, row, store);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "ingestion of " + fileId + " into " + storeId + " failed", e);
            repo.finish(row, StoreRepository.FAILED, "server_error", "Ingestion failed: " + e.getMessage(), 0, 0);
        }
    }

    private void run(String tenant, String storeId, String fileId, StoreFileRecord row, StoreRecord store) {
        FileRecord file = files.get(tenant, fileId).orElse(null);
        if (file == null) {
            repo.finish(row, StoreRepository.FAILED, "invalid_file", "The file was deleted before it was processed.", 0, 0);
            return;
        }
        if (!store.embeddingModel().equals(embedder.model()) || store.dimensions() != embedder.dimensions()) {
            repo.finish(row, StoreRepository.FAILED, "server_error", "This vector store holds " + store.embeddingModel()
                    + " vectors (" + store.dimensions() + " dims) but the server now embeds with " + embedder.model() + " ("
                    + embedder.dimensions() + " dims); vectors of different models are never mixed.", 0, 0);
            return;
        }
        String text;
        try {
            text = DocumentParser.parse(file.filename(), file.contentType(), files.bytes(fileId));
        } catch (DocumentParser.UnsupportedFile e) {
            repo.finish(row, StoreRepository.FAILED, "unsupported_file", e.getMessage(), 0, 0);
            return;
        } catch (DocumentParser.InvalidFile e) {
            repo.finish(row, StoreRepository.FAILED, "invalid_file", e.getMessage(), 0, 0);
            return;
        } catch (UncheckedIOException e) {
            repo.finish(row, StoreRepository.FAILED, "server_error", "The stored file could not be read from "
                    + files.blobs().name() + " storage.", 0, 0);
            return;
        }
        // Partial chunks of an interrupted run are replaced by addFile, which replaces all of a file's chunks.
        List<Chunk> chunks = chunker.split(text, ChunkingStrategy.fromJson(row.chunkingStrategy()));
        List<float[]> vectors = new ArrayList<>(chunks.size());
        for (int from = 0; from < chunks.size(); from += EMBED_BATCH) {
            if (!stillWanted(tenant, row)) {
                return;
            }
            List<String> texts = chunks.subList(from, Math.min(chunks.size(), from + EMBED_BATCH)).stream().map(Chunk::text).toList();
            vectors.addAll(embedder.embedDocuments(texts));
        }
        if (!stillWanted(tenant, row)) {
            return;
        }
        index.addFile(storeId, new VectorIndex.FileChunks(fileId, file.filename(), row.attributes(), chunks, vectors));
        long usage = chunks.stream().mapToLong(c -> c.text().length()).sum() + (long) chunks.size() * embedder.dimensions() * 4;
        if (!repo.finish(row, StoreRepository.COMPLETED, null, null, usage, chunks.size())) {
            // Cancelled or removed while we indexed: do not leave its chunks searchable.
            if (repo.store(tenant, storeId).isEmpty()) {
                index.dropStore(storeId);
            } else {
                index.deleteFile(storeId, fileId);
            }
        }
    }

    /** The row is still in progress at the generation this run started from. */
    private boolean stillWanted(String tenant, StoreFileRecord run) {
        return repo.file(tenant, run.storeId(), run.fileId())
                .map(f -> f.status().equals(StoreRepository.IN_PROGRESS) && f.generation() == run.generation()).orElse(false);
    }

    @Override
    public void close() {
        leases.shutdownNow();
        workers.shutdownNow();
        try {
            workers.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            repo.release(owner); // a replica going away hands its unfinished runs on at once, not after the lease
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "releasing ingestion leases failed (they expire in " + LEASE.toSeconds() + " s): " + e.getMessage());
        }
    }
}
