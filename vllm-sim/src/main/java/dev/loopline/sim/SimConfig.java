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
 */
public record SimConfig(String host, int port, List<String> servedModelNames, int maxModelLen, long ttftMillis,
                        long prefillMillisPer1k, long itlMillis, int maxNumSeqs, int blockSize, int numGpuBlocks,
                        boolean promptTokensDetails, String toolParser, List<String> apiKeys, int embeddingDims,
                        boolean requestIdHeaders) {

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
                true, "hermes", List.of(), 0, false);
    }

    /** Instant replies: for tests and for measuring the overhead of what sits in front. */
    public SimConfig instant() {
        return new SimConfig(host, port, servedModelNames, maxModelLen, 0, 0, 0, maxNumSeqs, blockSize, numGpuBlocks,
                promptTokensDetails, toolParser, apiKeys, embeddingDims, requestIdHeaders);
    }

    public SimConfig withPort(int p) {
        return new SimConfig(host, p, servedModelNames, maxModelLen, ttftMillis, prefillMillisPer1k, itlMillis, maxNumSeqs,
                blockSize, numGpuBlocks, promptTokensDetails, toolParser, apiKeys, embeddingDims, requestIdHeaders);
    }

    public SimConfig withLatency(long ttft, long prefillPer1k, long itl) {
        return new SimConfig(host, port, servedModelNames, maxModelLen, ttft, prefillPer1k, itl, maxNumSeqs,
                blockSize, numGpuBlocks, promptTokensDetails, toolParser, apiKeys, embeddingDims, requestIdHeaders);
    }

    public SimConfig withMaxNumSeqs(int n) {
        return new SimConfig(host, port, servedModelNames, maxModelLen, ttftMillis, prefillMillisPer1k, itlMillis, n,
                blockSize, numGpuBlocks, promptTokensDetails, toolParser, apiKeys, embeddingDims, requestIdHeaders);
    }

    public SimConfig withModels(List<String> names, int maxLen) {
        return new SimConfig(host, port, names, maxLen, ttftMillis, prefillMillisPer1k, itlMillis, maxNumSeqs,
                blockSize, numGpuBlocks, promptTokensDetails, toolParser, apiKeys, embeddingDims, requestIdHeaders);
    }

    public SimConfig withApiKeys(List<String> keys) {
        return new SimConfig(host, port, servedModelNames, maxModelLen, ttftMillis, prefillMillisPer1k, itlMillis, maxNumSeqs,
                blockSize, numGpuBlocks, promptTokensDetails, toolParser, keys, embeddingDims, requestIdHeaders);
    }

    public SimConfig withToolParser(String parser) {
        return new SimConfig(host, port, servedModelNames, maxModelLen, ttftMillis, prefillMillisPer1k, itlMillis, maxNumSeqs,
                blockSize, numGpuBlocks, promptTokensDetails, parser, apiKeys, embeddingDims, requestIdHeaders);
    }

    public SimConfig withEmbeddingDims(int dims) {
        return new SimConfig(host, port, servedModelNames, maxModelLen, ttftMillis, prefillMillisPer1k, itlMillis, maxNumSeqs,
                blockSize, numGpuBlocks, promptTokensDetails, toolParser, apiKeys, dims, requestIdHeaders);
    }

    public SimConfig withPromptTokensDetails(boolean on) {
        return new SimConfig(host, port, servedModelNames, maxModelLen, ttftMillis, prefillMillisPer1k, itlMillis, maxNumSeqs,
                blockSize, numGpuBlocks, on, toolParser, apiKeys, embeddingDims, requestIdHeaders);
    }

    public String defaultModel() {
        return servedModelNames.getFirst();
    }

    /** Parses vLLM-style flags ({@code --flag value} or {@code --flag=value}). */
    public static SimConfig parse(String[] args) {
        SimConfig c = defaults();
        String host = c.host;
        int port = c.port;
        List<String> names = new ArrayList<>();
        int maxLen = c.maxModelLen;
        long ttft = c.ttftMillis;
        long prefill = c.prefillMillisPer1k;
        long itl = c.itlMillis;
        int seqs = c.maxNumSeqs;
        int block = c.blockSize;
        int blocks = c.numGpuBlocks;
        boolean details = c.promptTokensDetails;
        String parser = c.toolParser;
        List<String> keys = new ArrayList<>();
        int dims = 0;
        boolean reqIds = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                v = a.substring(eq + 1);
                a = a.substring(0, eq);
            }
            switch (a) {
                case "--host" -> host = v != null ? v : args[++i];
                case "--port" -> port = Integer.parseInt(v != null ? v : args[++i]);
                case "--served-model-name" -> {
                    names.add(v != null ? v : args[++i]);
                    while (v == null && i + 1 < args.length && !args[i + 1].startsWith("--")) {
                        names.add(args[++i]);
                    }
                }
                case "--max-model-len" -> maxLen = Integer.parseInt(v != null ? v : args[++i]);
                case "--ttft-ms" -> ttft = Long.parseLong(v != null ? v : args[++i]);
                case "--prefill-ms-per-1k" -> prefill = Long.parseLong(v != null ? v : args[++i]);
                case "--itl-ms" -> itl = Long.parseLong(v != null ? v : args[++i]);
                case "--instant" -> {
                    ttft = 0;
                    prefill = 0;
                    itl = 0;
                }
                case "--max-num-seqs" -> seqs = Integer.parseInt(v != null ? v : args[++i]);
                case "--block-size" -> block = Integer.parseInt(v != null ? v : args[++i]);
                case "--num-gpu-blocks-override" -> blocks = Integer.parseInt(v != null ? v : args[++i]);
                case "--enable-prompt-tokens-details" -> details = true;
                case "--disable-prompt-tokens-details" -> details = false;
                case "--tool-call-parser" -> parser = v != null ? v : args[++i];
                case "--enable-auto-tool-choice" -> {
                    // on by default together with the hermes parser
                }
                case "--no-tool-parser" -> parser = null;
                case "--api-key" -> keys.add(v != null ? v : args[++i]);
                case "--embedding-dims" -> dims = Integer.parseInt(v != null ? v : args[++i]);
                case "--enable-request-id-headers" -> reqIds = true;
                default -> throw new IllegalArgumentException("unknown flag " + a);
            }
        }
        String envKey = System.getenv("VLLM_API_KEY");
        if (keys.isEmpty() && envKey != null && !envKey.isBlank()) {
            keys.add(envKey);
        }
        return new SimConfig(host, port, names.isEmpty() ? c.servedModelNames : names, maxLen, ttft, prefill, itl, seqs,
                block, blocks, details, parser, keys, dims, reqIds);
    }
}
