package dev.loopline.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.config.Settings;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.http.JsonBodies;
import dev.loopline.common.json.Json;
import dev.loopline.common.observe.Health;
import dev.loopline.common.server.Platform;
import dev.loopline.common.server.ServiceModule;
import dev.loopline.proxy.forward.UpstreamForwarder;
import dev.loopline.proxy.routing.UpstreamPool;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.time.Duration;
import java.time.Instant;
import java.util.TreeSet;

/**
 * llm-proxy: the OpenAI-compatible gateway every model call goes through
 * ({@code /v1/chat/completions}, {@code /v1/completions}, {@code /v1/embeddings}, {@code /v1/models}).
 */
public final class LlmProxyModule implements ServiceModule {
    private final Platform platform;
    private final UpstreamPool pool;
    private final UpstreamForwarder forwarder;
    private Thread refresher;
    private volatile boolean running = true;

    public LlmProxyModule(Platform platform, String upstreams) {
        this.platform = platform;
        Settings s = platform.settings();
        this.pool = new UpstreamPool(UpstreamPool.parse(upstreams),
                UpstreamPool.parseAliases(s.optional("LOOPLINE_LLM_MODEL_ALIASES", "loopline.llm.model-aliases").orElse(null)),
                platform.http().client(),
                s.optional("LOOPLINE_LLM_UPSTREAM_API_KEY", "loopline.llm.upstream-api-key").orElse(null));
        Duration timeout = s.duration("LOOPLINE_LLM_TIMEOUT", "loopline.llm.timeout", Duration.ofSeconds(300));
        this.forwarder = new UpstreamForwarder(pool, platform.http().withTimeouts(timeout, Duration.ZERO));
    }

    @Override
    public String name() {
        return "llm-proxy";
    }

    public UpstreamPool pool() {
        return pool;
    }

    @Override
    public void routing(HttpRouting.Builder routing) {
        routing.post("/v1/chat/completions", (req, res) -> relay(req, res, "/v1/chat/completions", "messages"))
                .post("/v1/completions", (req, res) -> relay(req, res, "/v1/completions", "prompt"))
                .post("/v1/embeddings", (req, res) -> relay(req, res, "/v1/embeddings", "input"))
                .get("/v1/models", this::models);
    }

    @Override
    public void readiness(Health health) {
        health.addReadinessCheck("llm-upstreams", pool::anyHealthy);
    }

    @Override
    public void started(int port) {
        pool.refresh();
        refresher = Thread.ofVirtual().name("llm-upstream-refresh").start(() -> {
            while (running) {
                try {
                    Thread.sleep(Duration.ofSeconds(10));
                    pool.refresh();
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    System.getLogger(LlmProxyModule.class.getName()).log(System.Logger.Level.WARNING, "upstream refresh failed", e);
                }
            }
        });
    }

    private void relay(ServerRequest req, ServerResponse res, String path, String requiredField) {
        ObjectNode body = JsonBodies.readObject(req, platform.maxBodyBytes());
        JsonNode model = body.get("model");
        if (model == null || model.isNull()) {
            throw ApiException.badRequest("model", "you must provide a model parameter");
        }
        if (!model.isTextual()) {
            throw ApiException.badRequest("model", "Invalid type for 'model': expected a string.");
        }
        JsonNode field = body.get(requiredField);
        if (field == null || field.isNull()) {
            throw ApiException.badRequest(requiredField, "Missing required parameter: '" + requiredField + "'.");
        }
        if (requiredField.equals("messages") && !field.isArray()) {
            throw ApiException.badRequest("messages", "Invalid type for 'messages': expected an array.");
        }
        JsonNode stream = body.get("stream");
        if (stream != null && !stream.isNull() && !stream.isBoolean()) {
            throw ApiException.badRequest("stream", "Invalid type for 'stream': expected a boolean.");
        }
        String resolved = pool.resolve(model.asText()).orElseThrow(() -> new ApiException(404, "invalid_request_error",
                "The model `" + model.asText() + "` does not exist or you do not have access to it.", "model", "model_not_found"));
        if (!resolved.equals(model.asText())) {
            body.put("model", resolved);
        }
        forwarder.forward(path, resolved, Json.bytes(body), stream != null && stream.asBoolean(), res);
    }

    private void models(ServerRequest req, ServerResponse res) {
        ObjectNode list = Json.object().put("object", "list");
        ArrayNode data = list.putArray("data");
        long created = Instant.now().getEpochSecond();
        for (String m : new TreeSet<>(pool.allModels())) {
            data.addObject().put("id", m).put("object", "model").put("created", created).put("owned_by", "loopline");
        }
        JsonBodies.send(res, list);
    }

    @Override
    public void close() {
        running = false;
        if (refresher != null) {
            refresher.interrupt();
        }
    }
}
