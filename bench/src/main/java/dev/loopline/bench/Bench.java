package dev.loopline.bench;

import dev.loopline.bench.extraction.ExtractionBench;
import dev.loopline.bench.mcp.McpBench;
import dev.loopline.bench.vectors.IngestBench;
import dev.loopline.bench.vectors.RetrievalBench;
import dev.loopline.bench.vectors.VectorBench;

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
            case "vectors" -> VectorBench.main(args);
            case "ingest" -> IngestBench.main(args);
            case "retrieval" -> RetrievalBench.main(args);
            case "extraction" -> ExtractionBench.main(args);
            case "mcp" -> McpBench.main(args);
            case "responses" -> ResponsesBench.main(args);
            case "agent" -> AgentSessionBench.main(args);
            case "replicas" -> ReplicasBench.main(args);
            default -> {
                System.err.println("usage: ./loopline bench sandbox|streams|affinity|vectors|ingest|retrieval|extraction|mcp|responses|agent|replicas (bench/proxy/run.sh for the proxy overhead)");
                System.exit(2);
            }
        }
    }
}
