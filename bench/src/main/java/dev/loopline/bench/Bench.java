package dev.loopline.bench;

/** {@code ./loopline bench NAME}: runs one benchmark and prints its results as Markdown. */
public final class Bench {
    private Bench() {
    }

    public static void main(String[] args) throws Exception {
        String name = args.length > 0 ? args[0] : "";
        switch (name) {
            case "sandbox" -> SandboxBench.main(args);
            case "streams" -> StreamBench.main(args);
            case "affinity" -> AffinityBench.main(args);
            case "vectors" -> dev.loopline.bench.vectors.VectorBench.main(args);
            case "ingest" -> dev.loopline.bench.vectors.IngestBench.main(args);
            case "retrieval" -> dev.loopline.bench.vectors.RetrievalBench.main(args);
            case "extraction" -> dev.loopline.bench.extraction.ExtractionBench.main(args);
            case "mcp" -> dev.loopline.bench.mcp.McpBench.main(args);
            case "responses" -> ResponsesBench.main(args);
            default -> {
                System.err.println("usage: ./loopline bench sandbox|streams|affinity|vectors|ingest|retrieval|extraction|mcp|responses (bench/proxy/run.sh for the proxy overhead)");
                System.exit(2);
            }
        }
    }
}
