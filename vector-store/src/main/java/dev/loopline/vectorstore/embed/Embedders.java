package dev.loopline.vectorstore.embed;

import dev.loopline.common.config.Settings;
import dev.loopline.common.server.Platform;

import java.util.List;
import java.util.function.Supplier;

/**
 * Chooses the embedder from config: {@code LOOPLINE_EMBEDDINGS=onnx} (default, all-MiniLM-L6-v2
 * fp32 in process), {@code onnx-int8} (the quantized model: about twice as fast, a little less
 * accurate; see docs/benchmarks.md), or {@code http} (an OpenAI-compatible /v1/embeddings, the
 * llm-proxy unless {@code LOOPLINE_EMBEDDINGS_URL} says otherwise, with
 * {@code LOOPLINE_EMBEDDINGS_MODEL}, {@code LOOPLINE_EMBEDDINGS_DIMENSIONS} and
 * {@code LOOPLINE_EMBEDDINGS_API_KEY}). The in-process model loads on first use, so a server that
 * never embeds never pays for it.
 */
public final class Embedders {
    private Embedders() {
    }

    public static Embedder fromSettings(Platform platform) {
        Settings s = platform.settings();
        String kind = s.string("LOOPLINE_EMBEDDINGS", "loopline.embeddings.provider", "onnx");
        int threads = s.integer("LOOPLINE_EMBEDDINGS_THREADS", "loopline.embeddings.threads",
                Runtime.getRuntime().availableProcessors());
        return switch (kind) {
            case "onnx" -> new Lazy("all-MiniLM-L6-v2", OnnxMiniLm.DIMENSIONS, () -> OnnxMiniLm.load(false, threads));
            case "onnx-int8" -> new Lazy("all-MiniLM-L6-v2-int8", OnnxMiniLm.DIMENSIONS, () -> OnnxMiniLm.load(true, threads));
            case "http" -> new HttpEmbedder(platform.http().client(),
                    () -> s.optional("LOOPLINE_EMBEDDINGS_URL", "loopline.embeddings.url").orElseGet(() -> platform.urls().llmProxy()),
                    s.optional("LOOPLINE_EMBEDDINGS_API_KEY", "loopline.embeddings.api-key").orElse(null),
                    s.optional("LOOPLINE_EMBEDDINGS_MODEL", "loopline.embeddings.model").orElseThrow(() ->
                            new IllegalStateException("LOOPLINE_EMBEDDINGS=http needs LOOPLINE_EMBEDDINGS_MODEL")),
                    dimensions(s));
            default -> throw new IllegalStateException("LOOPLINE_EMBEDDINGS must be onnx, onnx-int8 or http, not '" + kind + "'");
        };
    }

    /** The vector size of {@code http} embeddings: required, since a store's index is built for one size. */
    private static int dimensions(Settings s) {
        String v = s.optional("LOOPLINE_EMBEDDINGS_DIMENSIONS", "loopline.embeddings.dimensions").orElseThrow(() ->
                new IllegalStateException("LOOPLINE_EMBEDDINGS=http needs LOOPLINE_EMBEDDINGS_DIMENSIONS (the model's vector size)"));
        try {
            int n = Integer.parseInt(v);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalStateException("LOOPLINE_EMBEDDINGS_DIMENSIONS must be a positive integer, not '" + v + "'");
    }

    /** Loads the wrapped model on first use. */
    static final class Lazy implements Embedder {
        private final String model;
        private final int dimensions;
        private final Supplier<OnnxMiniLm> loader;
        private volatile OnnxMiniLm loaded;

        Lazy(String model, int dimensions, Supplier<OnnxMiniLm> loader) {
            this.model = model;
            this.dimensions = dimensions;
            this.loader = loader;
        }

        private OnnxMiniLm get() {
            OnnxMiniLm m = loaded;
            if (m == null) {
                synchronized (this) {
                    if (loaded == null) {
                        loaded = loader.get();
                    }
                    m = loaded;
                }
            }
            return m;
        }

        @Override
        public String model() {
            return model;
        }

        @Override
        public int dimensions() {
            return dimensions;
        }

        @Override
        public List<float[]> embedDocuments(List<String> texts) {
            return get().embedDocuments(texts);
        }

        @Override
        public List<float[]> embedQueries(List<String> texts) {
            return get().embedQueries(texts);
        }

        @Override
        public void close() {
            if (loaded != null) {
                loaded.close();
            }
        }
    }
}
