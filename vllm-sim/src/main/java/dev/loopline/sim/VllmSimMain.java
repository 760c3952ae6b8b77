package dev.loopline.sim;

import java.util.concurrent.CountDownLatch;

/** {@code java -jar vllm-sim.jar --port 8000 --served-model-name my-model [--ttft-ms 40 --itl-ms 15 …]} */
public final class VllmSimMain {
    private VllmSimMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        SimConfig config;
        try {
            config = SimConfig.parse(args);
        } catch (RuntimeException e) {
            System.err.println("vllm-sim: " + e.getMessage());
            System.err.println("flags: --host H --port P --served-model-name NAME [NAME…] --max-model-len N --ttft-ms N "
                    + "--prefill-ms-per-1k N --itl-ms N --instant --max-num-seqs N --block-size N --api-key K "
                    + "--embedding-dims N --no-tool-parser --disable-prompt-tokens-details --enable-request-id-headers "
                    + "--reasoning-parser NAME");
            System.exit(2);
            return;
        }
        VllmSim sim = new VllmSim(config).start();
        System.out.println("vllm-sim: a SIMULATOR of vLLM's OpenAI server (no model) at " + sim.baseUrl());
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            sim.close();
            stop.countDown();
        }));
        stop.await();
    }
}
