package dev.loopline.app;

import dev.loopline.common.config.Settings;
import dev.loopline.common.logging.LogSetup;
import dev.loopline.common.server.Platform;
import dev.loopline.common.server.PlatformServer;
import dev.loopline.common.server.ServiceModule;
import dev.loopline.sim.SimConfig;
import dev.loopline.sim.VllmSim;
import io.helidon.webserver.WebServer;

import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * The launcher: every service on one port (embedded defaults), or one with {@code --service NAME}.
 * Without {@code LOOPLINE_LLM_UPSTREAMS} it starts vllm-sim as the model upstream and says so loudly.
 */
public final class Main {
    private Main() {
    }

    /**
     * A started loopline: its server, its modules and, when no real upstream was configured, the
     * simulators (a chat model, and an embedding model as a second vLLM server would be).
     */
    public record Running(WebServer server, Platform platform, List<ServiceModule> modules, VllmSim sim, VllmSim embeddingSim,
                          DevApiKey.Shown key, String adminKey)
            implements AutoCloseable {
        public int port() {
            return server.port();
        }

        @Override
        public void close() {
            modules.forEach(ServiceModule::stopping);
            server.stop();
            modules.forEach(ServiceModule::close);
            platform.close();
            closeSims(sim, embeddingSim);
        }
    }

    private static void closeSims(VllmSim... sims) {
        for (VllmSim s : sims) {
            if (s != null) {
                s.close();
            }
        }
    }

    public static void main(String[] args) throws InterruptedException {
        String service = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--service") && i + 1 < args.length) {
                service = args[++i];
            } else if (args[i].startsWith("--service=")) {
                service = args[i].substring("--service=".length());
            } else {
                System.err.println("usage: loopline [--service " + String.join("|", ServiceCatalog.NAMES) + "]");
                System.exit(2);
            }
        }
        Settings settings = Settings.fromEnvironment();
        LogSetup.install(settings.string("LOOPLINE_LOG_LEVEL", "loopline.log-level", "INFO"));
        Running running;
        try {
            running = start(settings, service);
        } catch (RuntimeException e) {
            System.err.println("loopline failed to start: " + e.getMessage());
            System.exit(1);
            return;
        }
        banner(System.out, running, settings);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("loopline: stopping");
            running.close();
            stopped.countDown();
        }, "shutdown"));
        stopped.await();
    }

    public static Running start(Settings settings, String service) {
        String upstreams = settings.optional("LOOPLINE_LLM_UPSTREAMS", "loopline.llm.upstreams").orElse(null);
        VllmSim sim = null;
        VllmSim embeddingSim = null;
        boolean needsModel = service == null || service.equals("llm-proxy");
        if (upstreams == null && needsModel) {
            SimConfig cfg = SimConfig.defaults()
                    .withPort(settings.integer("LOOPLINE_SIM_PORT", "loopline.sim.port", 8000))
                    .withModels(List.of(settings.string("LOOPLINE_SIM_MODEL", "loopline.sim.model", "loopline-sim")),
                            settings.integer("LOOPLINE_SIM_MAX_MODEL_LEN", "loopline.sim.max-model-len", 32768));
            if (settings.bool("LOOPLINE_SIM_INSTANT", "loopline.sim.instant", false)) {
                cfg = cfg.instant();
            }
            String reasoningParser = settings.optional("LOOPLINE_SIM_REASONING_PARSER", "loopline.sim.reasoning-parser").orElse(null);
            if (reasoningParser != null && !reasoningParser.equals("none")) {
                if (!SimConfig.REASONING_PARSERS.contains(reasoningParser)) {
                    throw new IllegalArgumentException("LOOPLINE_SIM_REASONING_PARSER must be one of " + String.join(", ", SimConfig.REASONING_PARSERS));
                }
                cfg = cfg.withReasoningParser(reasoningParser);
            }
            sim = new VllmSim(cfg).start();
            // vLLM serves one model per server: embeddings come from a second one, as they would.
            embeddingSim = new VllmSim(SimConfig.defaults()
                    .withPort(settings.integer("LOOPLINE_SIM_EMBEDDING_PORT", "loopline.sim.embedding-port", 0))
                    .withModels(List.of(settings.string("LOOPLINE_SIM_EMBEDDING_MODEL", "loopline.sim.embedding-model", "loopline-sim-embed")), 512)
                    .withEmbeddingDims(384).instant()).start();
            upstreams = sim.baseUrl() + "," + embeddingSim.baseUrl();
        }
        Platform platform = null;
        try {
            platform = Platform.create(settings);
            DevApiKey.Shown key = DevApiKey.ensure(settings, platform.apiKeys());
            String adminKey = AdminApiKey.ensure(settings, platform.apiKeys());
            List<ServiceModule> modules = ServiceCatalog.create(platform, service, upstreams == null ? "http://127.0.0.1:8000" : upstreams);
            WebServer server = PlatformServer.start(platform, modules,
                    settings.string("LOOPLINE_HOST", "loopline.host", "127.0.0.1"),
                    settings.integer("LOOPLINE_PORT", "loopline.port", 8080));
            return new Running(server, platform, modules, sim, embeddingSim, key, adminKey);
        } catch (RuntimeException e) {
            if (platform != null) {
                platform.close();
            }
            closeSims(sim, embeddingSim);
            throw e;
        }
    }

    static void banner(PrintStream out, Running r, Settings settings) {
        String base = "http://127.0.0.1:" + r.port();
        String bar = "=".repeat(78);
        out.println(bar);
        out.println(" loopline is up: " + base + "   (data: " + r.platform().dataDir() + ")");
        if (r.sim() != null) {
            out.println();
            out.println(" !!! THE MODEL UPSTREAM IS A SIMULATOR (vllm-sim at " + r.sim().baseUrl() + ", embeddings at "
                    + r.embeddingSim().baseUrl() + ").");
            out.println(" !!! No language model runs here: replies are rule-based or scripted.");
            out.println(" !!! Set LOOPLINE_LLM_UPSTREAMS=http://your-vllm:8000 to use a real vLLM.");
        }
        out.println();
        String keyArg;
        if (r.key().key() != null) {
            out.println(" dev API key: " + r.key().key());
            out.println("   (" + r.key().hint() + ")");
            keyArg = r.key().key();
        } else {
            out.println(" dev API key: " + r.key().hint());
            keyArg = "$LOOPLINE_DEV_API_KEY";
        }
        if (r.adminKey() != null) {
            out.println(" admin API key (/v1/organization): " + r.adminKey());
            out.println("   (generated now and stored hashed; it will not be shown again. Set LOOPLINE_ADMIN_KEY to choose your own)");
        }
        String model = r.sim() != null ? r.sim().config().defaultModel() : "YOUR_MODEL";
        out.println();
        out.println(" try it:");
        out.println("   curl -s " + base + "/v1/responses \\");
        out.println("     -H \"Authorization: Bearer " + keyArg + "\" -H 'Content-Type: application/json' \\");
        out.println("     -d '{\"model\":\"" + model + "\",\"input\":\"What is the capital of France?\",\"tools\":[{\"type\":\"web_search\"}]}'");
        out.println(bar);
        out.flush();
    }
}
