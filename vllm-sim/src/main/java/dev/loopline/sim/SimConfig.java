package dev.loopline.sim;

import java.util.ArrayList;
import java.util.List;

/**
 * The simulator's settings, named after the vLLM flags they imitate.
 *
 * @param servedModelNames    {@code --served-model-name}: the first is the name responses carry
 * @param maxModelLen         {@code --max-model-len}
 * @param ttftMillis          base time to first token (queueing and prefill come on top)
 * @param prefillMillisPer1k  prefill time per 1,000 uncached prompt tokens (what the prefix cache saves)
 * @param itlMillis           inter-token latency
 * @param maxNumSeqs          {@code --max-num-seqs}: sequences running at once; the rest wait in a queue
 * @param blockSize           KV block size in tokens (prefix-cache hits come in whole blocks)
 * @param numGpuBlocks        KV blocks available (for {@code vllm:kv_cache_usage_perc} and the cache's capacity)
 * @param promptTokensDetails {@code --enable-prompt-tokens-details}
 * @param toolParser          {@code --enable-auto-tool-choice --tool-call-parser hermes}; null means off
 * @param apiKeys             {@code --api-key}: empty means no auth
 * @param embeddingDims       when > 0 the server is an embedding (pooling) model with that many dimensions
 * @param requestIdHeaders    {@code --enable-request-id-headers}
 * @param reasoningParser     {@code --reasoning-parser} (qwen3, deepseek_r1, openai_gptoss…): the model reasons
 *                            before it answers, and the reasoning comes back apart ({@code reasoning}); null means off
 */
public record SimConfig(String host, int port, List<String> servedModelNames, int maxModelLen, long ttftMillis,
                        long prefillMillisPer1k, long itlMillis, int maxNumSeqs, int blockSize, int numGpuBlocks,
                        boolean promptTokensDetails, String toolParser, List<String> apiKeys, int embeddingDims,
                        boolean requestIdHeaders, String reasoningParser) {

    public static final String VERSION = "0.21.0";

    public SimConfig {
        servedModelNames = List.copyOf(servedModelNames);
        apiKeys = List.copyOf(apiKeys);
        if (servedModelNames.isEmpty()) {
            throw new IllegalArgumentException("at least one --served-model-name is needed");
        }
    }

    /** Defaults near a 4B model on one GPU: 40 ms TTFT, 15 ms per token. */
    public static SimConfig defaults() {
        return new SimConfig("127.0.0.1", 8000, List.of("loopline-sim"), 32768, 40, 20, 15, 256, 16, 8192,
                true, "hermes", List.of(), 0, false, null);
    }

    /** A copy to change: {@code config.toBuilder().port(0).build()}. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Instant replies: for tests and for measuring the overhead of what sits in front. */
    public SimConfig instant() {
        return withLatency(0, 0, 0);
    }

    public SimConfig withPort(int p) {
        return toBuilder().port(p).build();
    }

    public SimConfig withLatency(long ttft, long prefillPer1k, long itl) {
        return toBuilder().latency(ttft, prefillPer1k, itl).build();
    }

    public SimConfig withMaxNumSeqs(int n) {
        return toBuilder().maxNumSeqs(n).build();
    }

    public SimConfig withModels(List<String> names, int maxLen) {
        return toBuilder().servedModelNames(names).maxModelLen(maxLen).build();
    }

    public SimConfig withApiKeys(List<String> keys) {
        return toBuilder().apiKeys(keys).build();
    }

    public SimConfig withToolParser(String parser) {
        return toBuilder().toolParser(parser).build();
    }

    public SimConfig withEmbeddingDims(int dims) {
        return toBuilder().embeddingDims(dims).build();
    }

    public SimConfig withPromptTokensDetails(boolean on) {
        return toBuilder().promptTokensDetails(on).build();
    }

    public SimConfig withReasoningParser(String parser) {
        return toBuilder().reasoningParser(parser).build();
    }

    /** Mutable settings, one setter per flag; {@link #build} checks them. */
    public static final class Builder {
        private String host;
        private int port;
        private List<String> servedModelNames;
        private int maxModelLen;
        private long ttftMillis;
        private long prefillMillisPer1k;
        private long itlMillis;
        private int maxNumSeqs;
        private int blockSize;
        private int numGpuBlocks;
        private boolean promptTokensDetails;
        private String toolParser;
        private List<String> apiKeys;
        private int embeddingDims;
        private boolean requestIdHeaders;
        private String reasoningParser;

        private Builder(SimConfig c) {
            host = c.host;
            port = c.port;
            servedModelNames = c.servedModelNames;
            maxModelLen = c.maxModelLen;
            ttftMillis = c.ttftMillis;
            prefillMillisPer1k = c.prefillMillisPer1k;
            itlMillis = c.itlMillis;
            maxNumSeqs = c.maxNumSeqs;
            blockSize = c.blockSize;
            numGpuBlocks = c.numGpuBlocks;
            promptTokensDetails = c.promptTokensDetails;
            toolParser = c.toolParser;
            apiKeys = c.apiKeys;
            embeddingDims = c.embeddingDims;
            requestIdHeaders = c.requestIdHeaders;
            reasoningParser = c.reasoningParser;
        }

        public Builder host(String v) { host = v; return this; }
        public Builder port(int v) { port = v; return this; }
        public Builder servedModelNames(List<String> v) { servedModelNames = v; return this; }
        public Builder maxModelLen(int v) { maxModelLen = v; return this; }
        public Builder latency(long ttft, long prefillPer1k, long itl) { ttftMillis = ttft; prefillMillisPer1k = prefillPer1k; itlMillis = itl; return this; }
        public Builder ttftMillis(long v) { ttftMillis = v; return this; }
        public Builder prefillMillisPer1k(long v) { prefillMillisPer1k = v; return this; }
        public Builder itlMillis(long v) { itlMillis = v; return this; }
        public Builder maxNumSeqs(int v) { maxNumSeqs = v; return this; }
        public Builder blockSize(int v) { blockSize = v; return this; }
        public Builder numGpuBlocks(int v) { numGpuBlocks = v; return this; }
        public Builder promptTokensDetails(boolean v) { promptTokensDetails = v; return this; }
        public Builder toolParser(String v) { toolParser = v; return this; }
        public Builder apiKeys(List<String> v) { apiKeys = v; return this; }
        public Builder embeddingDims(int v) { embeddingDims = v; return this; }
        public Builder requestIdHeaders(boolean v) { requestIdHeaders = v; return this; }
        public Builder reasoningParser(String v) { reasoningParser = v; return this; }

        public SimConfig build() {
            return new SimConfig(host, port, servedModelNames, maxModelLen, ttftMillis, prefillMillisPer1k, itlMillis, maxNumSeqs,
                    blockSize, numGpuBlocks, promptTokensDetails, toolParser, apiKeys, embeddingDims, requestIdHeaders, reasoningParser);
        }
    }

    public String defaultModel() {
        return servedModelNames.getFirst();
    }

    /** The vLLM reasoning parsers the simulator knows by name (their output format is the same: {@code reasoning}). */
    public static final List<String> REASONING_PARSERS = List.of("qwen3", "deepseek_r1", "deepseek_v3", "openai_gptoss", "granite",
            "glm45", "hunyuan_a13b", "mistral", "step3", "seed_oss");

    /** Parses vLLM-style flags ({@code --flag value} or {@code --flag=value}). */
    public static SimConfig parse(String[] args) {
        Builder b = defaults().toBuilder();
        List<String> names = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                v = a.substring(eq + 1);
                a = a.substring(0, eq);
            }
            switch (a) {
                case "--host" -> b.host(v != null ? v : args[++i]);
                case "--port" -> b.port(Integer.parseInt(v != null ? v : args[++i]));
                case "--served-model-name" -> {
                    names.add(v != null ? v : args[++i]);
                    while (v == null && i + 1 < args.length && !args[i + 1].startsWith("--")) {
                        names.add(args[++i]);
                    }
                }
                case "--max-model-len" -> b.maxModelLen(Integer.parseInt(v != null ? v : args[++i]));
                case "--ttft-ms" -> b.ttftMillis(Long.parseLong(v != null ? v : args[++i]));
                case "--prefill-ms-per-1k" -> b.prefillMillisPer1k(Long.parseLong(v != null ? v : args[++i]));
                case "--itl-ms" -> b.itlMillis(Long.parseLong(v != null ? v : args[++i]));
                case "--instant" -> b.latency(0, 0, 0);
                case "--max-num-seqs" -> b.maxNumSeqs(Integer.parseInt(v != null ? v : args[++i]));
                case "--block-size" -> b.blockSize(Integer.parseInt(v != null ? v : args[++i]));
                case "--num-gpu-blocks-override" -> b.numGpuBlocks(Integer.parseInt(v != null ? v : args[++i]));
                case "--enable-prompt-tokens-details" -> b.promptTokensDetails(true);
                case "--disable-prompt-tokens-details" -> b.promptTokensDetails(false);
                case "--tool-call-parser" -> b.toolParser(v != null ? v : args[++i]);
                case "--enable-auto-tool-choice" -> {
                    // on by default together with the hermes parser
                }
                case "--no-tool-parser" -> b.toolParser(null);
                case "--reasoning-parser" -> {
                    String parser = v != null ? v : args[++i];
                    if (!REASONING_PARSERS.contains(parser)) {
                        throw new IllegalArgumentException("unknown --reasoning-parser " + parser + " (one of " + String.join(", ", REASONING_PARSERS) + ")");
                    }
                    b.reasoningParser(parser);
                }
                case "--api-key" -> keys.add(v != null ? v : args[++i]);
                case "--embedding-dims" -> b.embeddingDims(Integer.parseInt(v != null ? v : args[++i]));
                case "--enable-request-id-headers" -> b.requestIdHeaders(true);
                default -> throw new IllegalArgumentException("unknown flag " + a);
            }
        }
        String envKey = System.getenv("VLLM_API_KEY");
        if (keys.isEmpty() && envKey != null && !envKey.isBlank()) {
            keys.add(envKey);
        }
        if (!names.isEmpty()) {
            b.servedModelNames(names);
        }
        return b.apiKeys(keys).build();
    }
}
