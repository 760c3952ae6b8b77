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
            default -> {
                System.err.println("usage: ./loopline bench sandbox|streams|affinity (bench/proxy/run.sh for the proxy overhead)");
                System.exit(2);
            }
        }
    }
}
