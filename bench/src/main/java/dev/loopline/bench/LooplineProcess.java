package dev.loopline.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * loopline as its own process for a benchmark: all services from the built jar, H2 and the data
 * dir in a fresh temporary directory, sandbox off, the given model upstream; the dev key is
 * {@link #KEY}. {@code -Dbench.looplineCpus=0} pins it to CPUs (taskset), {@code -Dbench.jvmOpts}
 * adds JVM options.
 */
final class LooplineProcess implements AutoCloseable {
    static final String KEY = "ll-bench-0123456789abcdef0123456789abcdef";

    final String base;
    private final Process process;

    private LooplineProcess(String base, Process process) {
        this.base = base;
        this.process = process;
    }

    static LooplineProcess start(String jar, String upstream, String heap) throws Exception {
        Path data = Files.createTempDirectory("loopline-responses-bench");
        int port = StreamBench.freePort();
        List<String> cmd = new ArrayList<>();
        String cpus = System.getProperty("bench.looplineCpus", "");
        if (!cpus.isBlank()) {
            cmd.addAll(List.of("taskset", "-c", cpus)); // e.g. loopline on CPU 0, this JVM started on CPU 1
        }
        cmd.addAll(List.of(ProcessHandle.current().info().command().orElse("java"), heap));
        cmd.add(StreamBench.looplineJvmOptions());
        String opts = System.getProperty("bench.jvmOpts", "");
        if (!opts.isBlank()) {
            cmd.addAll(List.of(opts.trim().split("\\s+")));
        }
        cmd.addAll(List.of("-jar", jar));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(data.resolve("loopline.log").toFile());
        pb.environment().put("LOOPLINE_PORT", Integer.toString(port));
        pb.environment().put("LOOPLINE_DATA_DIR", data.toString());
        pb.environment().put("LOOPLINE_DEV_API_KEY", KEY);
        pb.environment().put("LOOPLINE_LLM_UPSTREAMS", upstream);
        pb.environment().put("LOOPLINE_SANDBOX", "off");
        pb.environment().put("LOOPLINE_LOG_LEVEL", "WARNING");
        pb.environment().put("LOOPLINE_LLM_MAX_IN_FLIGHT", "10000");
        Process p = pb.start();
        String base = "http://127.0.0.1:" + port;
        try {
            StreamBench.waitReady(base);
        } catch (Exception e) {
            p.destroyForcibly();
            throw new IllegalStateException("loopline did not start; see " + data.resolve("loopline.log"), e);
        }
        return new LooplineProcess(base, p);
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        process.waitFor();
    }
}
