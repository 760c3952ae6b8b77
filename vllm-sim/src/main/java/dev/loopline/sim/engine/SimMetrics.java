package dev.loopline.sim.engine;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.DoubleSupplier;

/**
 * vLLM's Prometheus metrics under their current names and labels ({@code engine}, {@code model_name}),
 * printed as prometheus_client prints them: floats with a decimal point, counters as
 * {@code X_total} plus {@code X_created}, histograms with {@code le} sorted between the labels.
 */
public final class SimMetrics {
    private static final double[] TTFT_BUCKETS = {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80, 160, 640, 2560};
    private static final double[] ITL_BUCKETS = {0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80};
    private static final double[] E2E_BUCKETS = {0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480, 960, 1920, 7680};
    private static final String[] FINISH_REASONS = {"stop", "length", "abort", "error", "repetition"};

    private final String model;
    private final double created = System.currentTimeMillis() / 1000.0;
    public final LongAdder promptTokens = new LongAdder();
    public final LongAdder generationTokens = new LongAdder();
    public final LongAdder prefixQueries = new LongAdder();
    public final LongAdder prefixHits = new LongAdder();
    private final LongAdder[] finished = new LongAdder[FINISH_REASONS.length];
    public final Histogram ttft = new Histogram(TTFT_BUCKETS);
    public final Histogram itl = new Histogram(ITL_BUCKETS);
    public final Histogram e2e = new Histogram(E2E_BUCKETS);

    public SimMetrics(String model) {
        this.model = model;
        for (int i = 0; i < finished.length; i++) {
            finished[i] = new LongAdder();
        }
    }

    public void finished(String reason) {
        for (int i = 0; i < FINISH_REASONS.length; i++) {
            if (FINISH_REASONS[i].equals(reason)) {
                finished[i].increment();
                return;
            }
        }
        // tool_calls finishes count as stop, as in vLLM (the engine stopped on EOS)
        finished[0].increment();
    }

    public static final class Histogram {
        private final double[] bounds;
        private final AtomicLong[] counts;
        private final DoubleAdder sum = new DoubleAdder();
        private final LongAdder count = new LongAdder();

        Histogram(double[] bounds) {
            this.bounds = bounds;
            this.counts = new AtomicLong[bounds.length];
            for (int i = 0; i < bounds.length; i++) {
                counts[i] = new AtomicLong();
            }
        }

        public void observe(double v) {
            for (int i = 0; i < bounds.length; i++) {
                if (v <= bounds[i]) {
                    counts[i].incrementAndGet();
                }
            }
            sum.add(v);
            count.increment();
        }
    }

    public String render(int running, int waiting, DoubleSupplier kvUsage, int blockSize, int numGpuBlocks) {
        StringBuilder sb = new StringBuilder(8192);
        String labels = "engine=\"0\",model_name=\"" + model + "\"";
        gauge(sb, "vllm:num_requests_running", "Number of requests in model execution batches.", labels, running);
        gauge(sb, "vllm:num_requests_waiting", "Number of requests waiting to be processed.", labels, waiting);
        sb.append("# HELP vllm:num_requests_waiting_by_reason Number of requests waiting, by reason.\n")
                .append("# TYPE vllm:num_requests_waiting_by_reason gauge\n")
                .append("vllm:num_requests_waiting_by_reason{engine=\"0\",model_name=\"").append(model).append("\",reason=\"capacity\"} ")
                .append(fmt(waiting)).append('\n')
                .append("vllm:num_requests_waiting_by_reason{engine=\"0\",model_name=\"").append(model).append("\",reason=\"deferred\"} 0.0\n");
        gauge(sb, "vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.", labels, kvUsage.getAsDouble());
        sb.append("# HELP vllm:cache_config_info Information of the LLMEngine CacheConfig\n# TYPE vllm:cache_config_info gauge\n")
                .append("vllm:cache_config_info{block_size=\"").append(blockSize).append("\",enable_prefix_caching=\"True\",engine=\"0\",num_gpu_blocks=\"")
                .append(numGpuBlocks).append("\"} 1.0\n");
        counter(sb, "vllm:prompt_tokens", "Number of prefill tokens processed.", labels, promptTokens.sum());
        counter(sb, "vllm:generation_tokens", "Number of generation tokens processed.", labels, generationTokens.sum());
        counter(sb, "vllm:prefix_cache_queries", "Prefix cache queries, in terms of number of queried tokens.", labels, prefixQueries.sum());
        counter(sb, "vllm:prefix_cache_hits", "Prefix cache hits, in terms of number of cached tokens.", labels, prefixHits.sum());
        counter(sb, "vllm:prompt_tokens_cached", "Number of cached prompt tokens (local + external).", labels, prefixHits.sum());
        sb.append("# HELP vllm:prompt_tokens_by_source_total Number of prompt tokens by source.\n# TYPE vllm:prompt_tokens_by_source_total counter\n");
        long hits = prefixHits.sum();
        sourceLine(sb, "external_kv_transfer", 0);
        sourceLine(sb, "local_cache_hit", hits);
        sourceLine(sb, "local_compute", promptTokens.sum() - hits);
        sb.append("# HELP vllm:request_success_total Count of successfully processed requests.\n# TYPE vllm:request_success_total counter\n");
        for (int i = 0; i < FINISH_REASONS.length; i++) {
            sb.append("vllm:request_success_total{engine=\"0\",finished_reason=\"").append(FINISH_REASONS[i])
                    .append("\",model_name=\"").append(model).append("\"} ").append(fmt(finished[i].sum())).append('\n');
        }
        histogram(sb, "vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds.", ttft);
        histogram(sb, "vllm:inter_token_latency_seconds", "Histogram of inter-token latency in seconds.", itl);
        histogram(sb, "vllm:e2e_request_latency_seconds", "Histogram of e2e request latency in seconds.", e2e);
        return sb.toString();
    }

    private void sourceLine(StringBuilder sb, String source, long v) {
        sb.append("vllm:prompt_tokens_by_source_total{engine=\"0\",model_name=\"").append(model).append("\",source=\"")
                .append(source).append("\"} ").append(fmt(v)).append('\n');
    }

    private static void gauge(StringBuilder sb, String name, String help, String labels, double v) {
        sb.append("# HELP ").append(name).append(' ').append(help).append('\n')
                .append("# TYPE ").append(name).append(" gauge\n")
                .append(name).append('{').append(labels).append("} ").append(fmt(v)).append('\n');
    }

    private void counter(StringBuilder sb, String name, String help, String labels, double v) {
        sb.append("# HELP ").append(name).append("_total ").append(help).append('\n')
                .append("# TYPE ").append(name).append("_total counter\n")
                .append(name).append("_total{").append(labels).append("} ").append(fmt(v)).append('\n')
                .append(name).append("_created{").append(labels).append("} ").append(fmtSci(created)).append('\n');
    }

    private void histogram(StringBuilder sb, String name, String help, Histogram h) {
        sb.append("# HELP ").append(name).append(' ').append(help).append('\n').append("# TYPE ").append(name).append(" histogram\n");
        for (int i = 0; i < h.bounds.length; i++) {
            sb.append(name).append("_bucket{engine=\"0\",le=\"").append(fmt(h.bounds[i])).append("\",model_name=\"").append(model)
                    .append("\"} ").append(fmt(h.counts[i].get())).append('\n');
        }
        sb.append(name).append("_bucket{engine=\"0\",le=\"+Inf\",model_name=\"").append(model).append("\"} ").append(fmt(h.count.sum())).append('\n');
        String labels = "{engine=\"0\",model_name=\"" + model + "\"} ";
        sb.append(name).append("_count").append(labels).append(fmt(h.count.sum())).append('\n');
        sb.append(name).append("_sum").append(labels).append(fmt(h.sum.sum())).append('\n');
        sb.append(name).append("_created").append(labels).append(fmtSci(created)).append('\n');
    }

    /** Python's repr of a float: 3.0, 0.25, 1e-05 style is not needed for our bounds. */
    static String fmt(double v) {
        if (v == Math.rint(v) && !Double.isInfinite(v)) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        return Double.toString(v);
    }

    private static String fmtSci(double v) {
        return String.format(Locale.ROOT, "%.9e", v).replace("e+", "e+");
    }
}
