package dev.loopline.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.sim.engine.Fault;
import dev.loopline.sim.engine.PrefixCache;
import dev.loopline.sim.engine.Scheduler;
import dev.loopline.sim.engine.SimMetrics;
import dev.loopline.sim.reply.PythonJson;
import dev.loopline.sim.reply.Reply;
import dev.loopline.sim.reply.ReplyPlanner;
import dev.loopline.sim.reply.Scripts;
import dev.loopline.sim.text.PromptRenderer;
import dev.loopline.sim.text.Tokenizer;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.http.Status;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * A simulator of vLLM's OpenAI-compatible server. It has no model: replies are scripted or
 * rule-based ({@link ReplyPlanner}), timing follows a latency and capacity model, and the wire
 * protocol follows vLLM's (shapes, field order, nulls, ids, errors, SSE framing, metrics) so that
 * whatever works against it works against a real vLLM with a config change only.
 */
public final class VllmSim implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(VllmSim.class.getName());
    private static final HeaderName FAULT = HeaderNames.create("x-sim-fault");
    private static final HeaderName SCRIPT = HeaderNames.create("x-sim-script");
    private static final HeaderName REQUEST_ID = HeaderNames.create("X-Request-Id");
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);

    private final SimConfig config;
    private final ObjectMapper json = new ObjectMapper();
    private final Tokenizer tokenizer = new Tokenizer();
    private final Scripts scripts = new Scripts(json);
    private final ReplyPlanner planner = new ReplyPlanner(json, scripts);
    private final Scheduler scheduler;
    private final PrefixCache prefixCache;
    private final SimMetrics metrics;
    private final AtomicReference<Fault> globalFault = new AtomicReference<>(Fault.NONE);
    private final AtomicBoolean engineDead = new AtomicBoolean();
    private final LongAdder requests = new LongAdder();
    private final String fingerprint;
    private WebServer server;

    public VllmSim(SimConfig config) {
        this.config = config;
        this.scheduler = new Scheduler(config.maxNumSeqs());
        this.prefixCache = new PrefixCache(config.blockSize(), config.numGpuBlocks());
        this.metrics = new SimMetrics(config.defaultModel());
        this.fingerprint = "vllm-" + SimConfig.VERSION + "-" + String.format("%08x", config.defaultModel().hashCode());
    }

    /** Starts listening (port 0 picks a free port); returns this for chaining. */
    public VllmSim start() {
        server = WebServer.builder()
                .host(config.host())
                .port(config.port())
                .connectionOptions(o -> o.tcpNoDelay(true))
                .routing(this::routing)
                .build()
                .start();
        LOG.log(System.Logger.Level.INFO, "vllm-sim (a SIMULATOR of vLLM " + SimConfig.VERSION + ", no model) serving "
                + config.servedModelNames() + " on http://" + config.host() + ":" + server.port());
        return this;
    }

    public int port() {
        return server.port();
    }

    public String baseUrl() {
        return "http://" + config.host() + ":" + port();
    }

    public SimConfig config() {
        return config;
    }

    public Scripts scripts() {
        return scripts;
    }

    public void fault(Fault f) {
        globalFault.set(f);
        if (f.kind() == Fault.Kind.ENGINE_DEATH) {
            engineDead.set(true);
        }
    }

    /** Clears faults, scripts and the prefix cache: a fresh engine. */
    public void reset() {
        globalFault.set(Fault.NONE);
        engineDead.set(false);
        scripts.clear();
        prefixCache.clear();
    }

    public long requestCount() {
        return requests.sum();
    }

    @Override
    public void close() {
        if (server != null) {
            server.stop();
        }
    }

    void routing(HttpRouting.Builder r) {
        r.addFilter((chain, req, res) -> {
            res.header(HeaderNames.SERVER, "uvicorn");
            String path = req.path().path();
            boolean guarded = path.startsWith("/v1") || path.startsWith("/v2") || path.startsWith("/inference");
            if (guarded && !config.apiKeys().isEmpty() && req.prologue().method() != Method.OPTIONS) {
                String auth = req.headers().first(HeaderNames.AUTHORIZATION).orElse("");
                boolean ok = auth.length() > 7 && auth.regionMatches(true, 0, "Bearer ", 0, 7)
                        && config.apiKeys().contains(auth.substring(7).trim());
                if (!ok) {
                    sendJson(res, 401, json.createObjectNode().put("error", "Unauthorized"));
                    return;
                }
            }
            chain.proceed();
        });
        r.error(VllmError.class, (req, res, e) -> sendError(res, e));
        r.error(Exception.class, (req, res, e) -> {
            LOG.log(System.Logger.Level.ERROR, "vllm-sim internal error", e);
            sendError(res, new VllmError(500, "InternalServerError", "Internal server error", null));
        });
        r.get("/health", this::health)
                .get("/ping", this::health)
                .get("/version", (req, res) -> sendJson(res, 200, json.createObjectNode().put("version", SimConfig.VERSION)
                        .put("simulator", "loopline vllm-sim, a simulator: no model runs here; replies are scripted or rule-based")))
                .get("/load", (req, res) -> sendJson(res, 200, json.createObjectNode().put("server_load", scheduler.running() + scheduler.waiting())))
                .get("/metrics", (req, res) -> {
                    res.header(HeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
                    res.send(metrics.render(scheduler.running(), scheduler.waiting(),
                            () -> Math.min(1.0, scheduler.kvBlocksInUse() / (double) config.numGpuBlocks()),
                            config.blockSize(), config.numGpuBlocks()));
                })
                .get("/v1/models", this::models)
                .post("/v1/chat/completions", this::chat)
                .post("/v1/completions", this::completions)
                .post("/v1/embeddings", this::embeddings)
                .post("/tokenize", this::tokenize)
                .post("/detokenize", this::detokenize)
                // The simulator's own control plane (not part of vLLM).
                .post("/sim/scripts", (req, res) -> {
                    var s = scripts.load(json.readTree(req.content().as(String.class)));
                    sendJson(res, 200, json.createObjectNode().put("name", s.name()).put("turns", s.turns().size()));
                })
                .post("/sim/fault", (req, res) -> {
                    fault(Fault.parse(json.readTree(req.content().as(String.class)).path("fault").asText("none")));
                    res.status(Status.NO_CONTENT_204).send();
                })
                .post("/sim/reset", (req, res) -> {
                    reset();
                    res.status(Status.NO_CONTENT_204).send();
                })
                .any((req, res) -> {
                    boolean known = List.of("/health", "/v1/models", "/v1/chat/completions", "/v1/completions", "/tokenize",
                            "/metrics", "/version").contains(req.path().path());
                    sendJson(res, known ? 405 : 404, json.createObjectNode().put("detail", known ? "Method Not Allowed" : "Not Found"));
                });
    }

    private void health(ServerRequest req, ServerResponse res) {
        res.status(engineDead.get() ? Status.SERVICE_UNAVAILABLE_503 : Status.OK_200).send();
    }

    private void models(ServerRequest req, ServerResponse res) {
        long created = Instant.now().getEpochSecond();
        ObjectNode body = json.createObjectNode().put("object", "list");
        ArrayNode data = body.putArray("data");
        for (String name : config.servedModelNames()) {
            ObjectNode card = data.addObject();
            card.put("id", name).put("object", "model").put("created", created).put("owned_by", "vllm")
                    .put("root", "loopline/vllm-sim").putNull("parent");
            card.put("max_model_len", config.maxModelLen());
            ObjectNode perm = card.putArray("permission").addObject();
            perm.put("id", "modelperm-" + Generation.hexId()).put("object", "model_permission").put("created", created)
                    .put("allow_create_engine", false).put("allow_sampling", true).put("allow_logprobs", true)
                    .put("allow_search_indices", false).put("allow_view", true).put("allow_fine_tuning", false)
                    .put("organization", "*").putNull("group");
            perm.put("is_blocking", false);
        }
        sendJson(res, 200, body);
    }

    private ObjectNode body(ServerRequest req) {
        String ct = req.headers().contentType().map(h -> h.text().toLowerCase(Locale.ROOT)).orElse("application/json");
        if (!ct.contains("json")) {
            throw new VllmError(400, "Bad Request", "Unsupported Media Type: Only 'application/json' is allowed", null);
        }
        JsonNode node;
        try {
            node = json.readTree(req.content().inputStream());
        } catch (IOException e) {
            throw new VllmError(400, "Bad Request", "1 validation error:\n  {'type': 'json_invalid', 'loc': ('body', 0), 'msg': 'JSON decode error'}", null);
        }
        if (node == null || !node.isObject()) {
            throw new VllmError(400, "Bad Request", "1 validation error:\n  {'type': 'model_attributes_type', 'loc': ('body',), 'msg': 'Input should be a valid dictionary or object'}", null);
        }
        return (ObjectNode) node;
    }

    private String resolveModel(ObjectNode body) {
        JsonNode m = body.get("model");
        if (m == null || m.isNull() || (m.isTextual() && m.asText().isEmpty())) {
            return config.defaultModel();
        }
        if (!m.isTextual()) {
            throw VllmError.schema("model", "string_type", "Input should be a valid string");
        }
        if (!config.servedModelNames().contains(m.asText())) {
            throw VllmError.modelNotFound(m.asText());
        }
        return config.defaultModel();
    }

    private Fault faultOf(ServerRequest req) {
        Optional<String> h = req.headers().first(FAULT);
        Fault f = h.isPresent() ? Fault.parse(h.get()) : globalFault.get();
        if (f.kind() == Fault.Kind.ENGINE_DEATH) {
            engineDead.set(true);
        }
        return f;
    }

    private void checkEngine() {
        if (engineDead.get()) {
            throw new VllmError(500, "InternalServerError",
                    "EngineCore encountered an issue. See stack trace (above) for the root cause.", null);
        }
    }

    private String requestId(ServerRequest req, ChatRequest r) {
        return req.headers().first(REQUEST_ID).orElse(r.requestId() != null ? r.requestId() : Generation.hexId());
    }

    private void chat(ServerRequest req, ServerResponse res) throws Exception {
        requests.increment();
        checkEngine();
        ObjectNode body = body(req);
        resolveModel(body);
        ChatRequest r = ChatRequest.chat(body, config);
        Fault fault = faultOf(req);
        checkEngine();
        boolean addGen = !body.has("add_generation_prompt") || body.get("add_generation_prompt").asBoolean(true);
        int[] prompt = tokenizer.encode(PromptRenderer.render(r.messages(), r.tools(), addGen));
        int maxTokens = checkContext(prompt.length, r);
        Reply reply = planner.plan(r.messages(), r.tools(), r.toolMode(), r.namedTool(), req.headers().first(SCRIPT).orElse(null));
        reply = structuredOutput(body.get("response_format"), reply);
        // A reasoning model thinks first, unless the chat template was told not to (reasoning_effort "none").
        boolean reasons = config.reasoningParser() != null && !"none".equals(r.reasoningEffort());
        reply = reply.withReasoning(reasons ? planner.reasoning(r.messages(), reply, r.reasoningEffort()) : null);
        boolean parser = config.toolParser() != null || config.reasoningParser() != null;
        Generation.Choice choice = Generation.chat(json, tokenizer, reply, r, parser, maxTokens);
        serve(req, res, r, fault, prompt, choice, "chatcmpl-" + requestId(req, r), true);
    }

    /**
     * {@code response_format}, as vLLM's guided decoding honours it: {@code json_object} makes the
     * text a JSON object, {@code json_schema} a JSON value built from the schema; a reply that
     * calls tools is left alone. {@code json_schema} without its {@code json_schema} key is a 400.
     */
    private Reply structuredOutput(JsonNode format, Reply reply) {
        if (format == null || format.isNull()) {
            return reply;
        }
        String type = format.path("type").asText("");
        switch (type) {
            case "text" -> {
                return reply;
            }
            case "json_object" -> {
                return reply.toolCalls().isEmpty()
                        ? Reply.text(json.createObjectNode().put("answer", reply.content()).toString()).withReasoning(reply.reasoning()) : reply;
            }
            case "json_schema" -> {
                JsonNode js = format.get("json_schema");
                if (js == null || !js.isObject()) {
                    throw VllmError.badParam("response_format", format, "response_format of type json_schema needs a json_schema object");
                }
                if (!reply.toolCalls().isEmpty()) {
                    return reply;
                }
                JsonNode schema = js.path("schema");
                return Reply.text(schema.path("type").asText("object").equals("object")
                        ? planner.structured(schema, reply.content()).toString()
                        : json.getNodeFactory().textNode(reply.content()).toString()).withReasoning(reply.reasoning());
            }
            default -> throw VllmError.badParam("response_format", format, "response_format.type must be text, json_object or json_schema");
        }
    }

    private void completions(ServerRequest req, ServerResponse res) throws Exception {
        requests.increment();
        checkEngine();
        ObjectNode body = body(req);
        resolveModel(body);
        ChatRequest r = ChatRequest.completion(body, config);
        Fault fault = faultOf(req);
        checkEngine();
        int[] prompt = tokenizer.encode(r.prompt());
        int maxTokens = checkContext(prompt.length, r);
        ArrayNode msgs = json.createArrayNode();
        msgs.addObject().put("role", "user").put("content", r.prompt());
        Reply reply = planner.plan(msgs, null, ReplyPlanner.ToolMode.NONE, null, req.headers().first(SCRIPT).orElse(null));
        Generation.Choice choice = Generation.completion(json, tokenizer, " " + reply.content(), r, maxTokens);
        serve(req, res, r, fault, prompt, choice, "cmpl-" + requestId(req, r), false);
    }

    /** vLLM's context check; returns the effective max_tokens (unset = what the context leaves). */
    private int checkContext(int promptLen, ChatRequest r) {
        int requested = r.maxTokens() == null ? 0 : r.maxTokens();
        if (promptLen + requested > config.maxModelLen() || promptLen >= config.maxModelLen()) {
            int reported = Math.min(promptLen, config.maxModelLen() - requested + 1);
            throw new VllmError(400, "BadRequestError", "This model's maximum context length is " + config.maxModelLen()
                    + " tokens. However, you requested " + requested + " output tokens and your prompt contains at least "
                    + reported + " input tokens, for a total of at least " + (reported + requested)
                    + " tokens. Please reduce the length of the input prompt or the number of requested output tokens. (parameter=input_tokens, value="
                    + reported + ")", "input_tokens");
        }
        return r.maxTokens() == null ? config.maxModelLen() - promptLen : r.maxTokens();
    }

    private void serve(ServerRequest req, ServerResponse res, ChatRequest r, Fault fault, int[] prompt,
                       Generation.Choice choice, String id, boolean chat) throws Exception {
        long arrived = System.nanoTime();
        if (fault.kind() == Fault.Kind.ERROR) {
            int status = (int) fault.value();
            throw new VllmError(status, status == 503 ? "ServiceUnavailableError" : "InternalServerError",
                    status == 503 ? "Service Unavailable" : "Internal server error", null);
        }
        if (fault.kind() == Fault.Kind.HANG) {
            Thread.sleep(600_000);
            throw new VllmError(500, "InternalServerError", "Internal server error", null);
        }
        int n = r.n();
        int completionTokens = choice.completionTokens() * n;
        long kvBlocks = (prompt.length + choice.completionTokens() + config.blockSize() - 1) / config.blockSize();
        scheduler.admit();
        scheduler.holdKv(kvBlocks);
        String finishForMetrics = "abort";
        try {
            int cached = prefixCache.lookupAndInsert(prompt, r.cacheSalt());
            metrics.prefixQueries.add(prompt.length);
            metrics.prefixHits.add(cached);
            metrics.promptTokens.add(prompt.length);
            long ttftMillis = config.ttftMillis() + config.prefillMillisPer1k() * (prompt.length - cached) / 1000
                    + (fault.kind() == Fault.Kind.SLOW_FIRST_TOKEN ? fault.value() : 0);
            sleep(ttftMillis);
            metrics.ttft.observe((System.nanoTime() - arrived) / 1e9);
            long created = Instant.now().getEpochSecond();
            if (r.stream()) {
                streamChoices(res, r, fault, prompt.length, cached, choice, id, created, chat);
            } else {
                sleep(config.itlMillis() * Math.max(0, choice.completionTokens() - 1));
                sendJson(res, 200, chat ? chatBody(r, choice, id, created, prompt.length, cached, completionTokens)
                        : completionBody(choice, id, created, n, prompt.length, cached, completionTokens));
            }
            metrics.generationTokens.add(completionTokens);
            for (int i = 1; i < choice.completionTokens(); i++) {
                metrics.itl.observe(config.itlMillis() / 1000.0);
            }
            finishForMetrics = choice.finishReason();
        } finally {
            metrics.finished(finishForMetrics);
            metrics.e2e.observe((System.nanoTime() - arrived) / 1e9);
            scheduler.release(kvBlocks);
        }
    }

    private ObjectNode usage(int promptTokens, int cached, int completionTokens, boolean streamChunk) {
        ObjectNode u = json.createObjectNode();
        u.put("prompt_tokens", promptTokens).put("total_tokens", promptTokens + completionTokens).put("completion_tokens", completionTokens);
        boolean show = config.promptTokensDetails() && cached > 0;
        if (show) {
            u.putObject("prompt_tokens_details").put("cached_tokens", cached);
        } else if (!streamChunk) {
            u.putNull("prompt_tokens_details");
        }
        return u;
    }

    private ObjectNode chatBody(ChatRequest r, Generation.Choice c, String id, long created, int promptTokens, int cached, int completionTokens) {
        ObjectNode b = json.createObjectNode();
        b.put("id", id).put("object", "chat.completion").put("created", created).put("model", config.defaultModel());
        ArrayNode choices = b.putArray("choices");
        for (int i = 0; i < r.n(); i++) {
            ObjectNode ch = choices.addObject();
            ch.put("index", i);
            ObjectNode m = ch.putObject("message");
            m.put("role", "assistant");
            putNullable(m, "content", c.content());
            m.putNull("refusal").putNull("annotations").putNull("audio").putNull("function_call");
            ArrayNode tcs = m.putArray("tool_calls");
            c.toolCalls().forEach(tcs::add);
            putNullable(m, "reasoning", c.reasoning());
            if (r.logprobs() && c.content() != null) {
                ArrayNode lps = ch.putObject("logprobs").putArray("content");
                int k = 0;
                for (String p : tokenizer.pieces(c.content())) {
                    lps.add(Generation.logprob(json, p, k++, r.topLogprobs()));
                }
            } else {
                ch.putNull("logprobs");
            }
            ch.put("finish_reason", c.finishReason());
            putNullable(ch, "stop_reason", c.stopReason());
            ch.putNull("token_ids");
        }
        b.putNull("service_tier").put("system_fingerprint", fingerprint);
        b.set("usage", usage(promptTokens, cached, completionTokens, false));
        b.putNull("prompt_logprobs").putNull("prompt_token_ids").putNull("prompt_text").putNull("kv_transfer_params");
        return b;
    }

    private ObjectNode completionBody(Generation.Choice c, String id, long created, int n, int promptTokens, int cached, int completionTokens) {
        ObjectNode b = json.createObjectNode();
        b.put("id", id).put("object", "text_completion").put("created", created).put("model", config.defaultModel());
        ArrayNode choices = b.putArray("choices");
        for (int i = 0; i < n; i++) {
            ObjectNode ch = choices.addObject();
            ch.put("index", i).put("text", c.content()).putNull("logprobs").put("finish_reason", c.finishReason());
            putNullable(ch, "stop_reason", c.stopReason());
            ch.putNull("token_ids").putNull("prompt_logprobs").putNull("prompt_token_ids");
        }
        b.putNull("service_tier").put("system_fingerprint", fingerprint);
        b.set("usage", usage(promptTokens, cached, completionTokens, false));
        b.putNull("kv_transfer_params");
        return b;
    }

    private ObjectNode chunk(String id, long created, boolean chat) {
        ObjectNode b = json.createObjectNode();
        b.put("id", id).put("object", chat ? "chat.completion.chunk" : "text_completion").put("created", created)
                .put("model", config.defaultModel());
        return b;
    }

    private void streamChoices(ServerResponse res, ChatRequest r, Fault fault, int promptTokens, int cached,
                               Generation.Choice c, String id, long created, boolean chat) throws Exception {
        res.header(HeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8");
        OutputStream out = res.outputStream();
        int n = r.n();
        boolean continuous = r.continuousUsage() && r.includeUsage();
        try {
            if (chat) {
                for (int i = 0; i < n; i++) {
                    ObjectNode b = chunk(id, created, true);
                    ObjectNode ch = b.putArray("choices").addObject();
                    ch.put("index", i);
                    ch.putObject("delta").put("role", "assistant").put("content", "");
                    ch.putNull("logprobs").putNull("finish_reason");
                    b.putNull("prompt_token_ids").putNull("prompt_text");
                    if (continuous) {
                        b.set("usage", usage(promptTokens, 0, 0, true));
                    }
                    write(out, b);
                }
            }
            List<Generation.Step> steps = c.steps();
            int emitted = 0;
            for (int s = 0; s < steps.size(); s++) {
                if (s > 0) {
                    sleep(config.itlMillis());
                }
                Generation.Step step = steps.get(s);
                boolean last = s == steps.size() - 1;
                if (step.delta() != null && !step.piece().isEmpty()) {
                    emitted++;
                    if (fault.kind() == Fault.Kind.DISCONNECT_AFTER && emitted > fault.value()) {
                        throw new CloseConnectionException("vllm-sim: simulated connection drop (fault disconnect-after)");
                    }
                    if (fault.kind() == Fault.Kind.STREAM_ERROR_AFTER && emitted > fault.value()) {
                        ObjectNode err = json.createObjectNode();
                        err.putObject("error").put("message", "Internal server error").put("type", "InternalServerError")
                                .putNull("param").put("code", 500);
                        out.write(("data: " + PythonJson.dumps(err) + "\n\n").getBytes(StandardCharsets.UTF_8));
                        out.write(DONE);
                        out.flush();
                        return;
                    }
                }
                if (step.delta() == null && !last) {
                    continue;
                }
                for (int i = 0; i < n; i++) {
                    ObjectNode b = chunk(id, created, chat);
                    ObjectNode ch = b.putArray("choices").addObject();
                    ch.put("index", i);
                    if (chat) {
                        ch.set("delta", step.delta() == null ? json.createObjectNode() : step.delta());
                        if (r.logprobs() && step.delta() != null && step.delta().has("content") && !step.delta().path("content").isNull()
                                && !step.piece().isEmpty()) {
                            ch.putObject("logprobs").putArray("content").add(Generation.logprob(json, step.piece(), s, r.topLogprobs()));
                        } else {
                            ch.putNull("logprobs");
                        }
                    } else {
                        ch.put("text", step.delta() == null ? "" : step.delta().path("text").asText());
                        ch.putNull("logprobs");
                    }
                    if (last) {
                        ch.put("finish_reason", c.finishReason());
                        putNullable(ch, "stop_reason", c.stopReason());
                    } else {
                        ch.putNull("finish_reason");
                        if (!chat) {
                            ch.putNull("stop_reason");
                        }
                    }
                    if (chat) {
                        ch.putNull("token_ids");
                    }
                    if (continuous) {
                        b.set("usage", usage(promptTokens, 0, s + 1, true));
                    }
                    if (last && !r.includeUsage()) {
                        b.put("system_fingerprint", fingerprint);
                    }
                    write(out, b);
                }
            }
            if (r.includeUsage()) {
                ObjectNode b = chunk(id, created, chat);
                b.putArray("choices");
                b.set("usage", usage(promptTokens, cached, c.completionTokens() * n, true));
                b.put("system_fingerprint", fingerprint);
                write(out, b);
            }
            out.write(DONE);
            out.flush();
            out.close();
        } catch (IOException | UncheckedIOException e) {
            // The client went away: vLLM aborts the request.
            throw new CloseConnectionException("client disconnected", e);
        }
    }

    private void write(OutputStream out, ObjectNode chunk) throws IOException {
        byte[] bytes = json.writeValueAsBytes(chunk);
        byte[] frame = new byte[bytes.length + 8];
        System.arraycopy("data: ".getBytes(StandardCharsets.US_ASCII), 0, frame, 0, 6);
        System.arraycopy(bytes, 0, frame, 6, bytes.length);
        frame[frame.length - 2] = '\n';
        frame[frame.length - 1] = '\n';
        out.write(frame);
        out.flush();
    }

    private void embeddings(ServerRequest req, ServerResponse res) {
        requests.increment();
        if (config.embeddingDims() <= 0) {
            sendJson(res, 404, json.createObjectNode().put("detail", "Not Found"));
            return;
        }
        checkEngine();
        ObjectNode body = body(req);
        resolveModel(body);
        JsonNode input = body.get("input");
        List<String> texts = new ArrayList<>();
        if (input == null || input.isNull()) {
            throw VllmError.schema("input", "missing", "Field required");
        } else if (input.isTextual()) {
            texts.add(input.asText());
        } else if (input.isArray()) {
            for (JsonNode t : input) {
                if (!t.isTextual()) {
                    throw VllmError.schema("input", "string_type", "Input should be a valid string");
                }
                texts.add(t.asText());
            }
        } else {
            throw VllmError.schema("input", "string_type", "Input should be a valid string or list of strings");
        }
        String format = body.path("encoding_format").isNull() ? "float" : body.path("encoding_format").asText("float");
        if (!format.equals("float") && !format.equals("base64")) {
            throw VllmError.schema("encoding_format", "literal_error", "Input should be 'float' or 'base64'");
        }
        ObjectNode b = json.createObjectNode();
        b.put("id", "embd-" + Generation.hexId()).put("object", "list").put("created", Instant.now().getEpochSecond())
                .put("model", config.defaultModel());
        ArrayNode data = b.putArray("data");
        int tokens = 0;
        for (int i = 0; i < texts.size(); i++) {
            int[] ids = tokenizer.encode(texts.get(i));
            tokens += ids.length;
            ObjectNode d = data.addObject();
            d.put("index", i).put("object", "embedding");
            float[] e = embed(ids);
            if (format.equals("base64")) {
                // As vLLM does: the float32 values' little-endian bytes, base64-encoded.
                ByteBuffer bytes = ByteBuffer.allocate(e.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                for (float v : e) {
                    bytes.putFloat(v);
                }
                d.put("embedding", Base64.getEncoder().encodeToString(bytes.array()));
            } else {
                ArrayNode vec = d.putArray("embedding");
                for (float v : e) {
                    vec.add(v);
                }
            }
        }
        ObjectNode u = b.putObject("usage");
        u.put("prompt_tokens", tokens).put("total_tokens", tokens).put("completion_tokens", 0).putNull("prompt_tokens_details");
        sendJson(res, 200, b);
    }

    /** A bag-of-tokens hashed into a unit vector: texts sharing words get similar vectors (no model, but not random). */
    private float[] embed(int[] ids) {
        float[] v = new float[config.embeddingDims()];
        for (int id : ids) {
            int h = id * 0x9E3779B1;
            v[Math.floorMod(h, v.length)] += 1f;
            v[Math.floorMod(h >>> 7, v.length)] += (h & 1) == 0 ? 0.5f : -0.5f;
        }
        double norm = 0;
        for (float x : v) {
            norm += x * x;
        }
        norm = Math.sqrt(norm);
        if (norm > 0) {
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (v[i] / norm);
            }
        }
        return v;
    }

    private void tokenize(ServerRequest req, ServerResponse res) {
        ObjectNode body = body(req);
        resolveModel(body);
        String text;
        if (body.has("messages")) {
            text = PromptRenderer.render(body.get("messages"), body.get("tools"), body.path("add_generation_prompt").asBoolean(true));
        } else if (body.path("prompt").isTextual()) {
            text = body.get("prompt").asText();
        } else {
            throw VllmError.schema("prompt", "missing", "Field required");
        }
        List<String> pieces = tokenizer.pieces(text);
        ObjectNode b = json.createObjectNode();
        b.put("count", pieces.size()).put("max_model_len", config.maxModelLen());
        ArrayNode ids = b.putArray("tokens");
        for (String p : pieces) {
            ids.add(tokenizer.id(p));
        }
        if (body.path("return_token_strs").asBoolean(false)) {
            ArrayNode strs = b.putArray("token_strs");
            pieces.forEach(strs::add);
        } else {
            b.putNull("token_strs");
        }
        sendJson(res, 200, b);
    }

    private void detokenize(ServerRequest req, ServerResponse res) {
        ObjectNode body = body(req);
        JsonNode t = body.get("tokens");
        if (t == null || !t.isArray()) {
            throw VllmError.schema("tokens", "missing", "Field required");
        }
        int[] ids = new int[t.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = t.get(i).asInt();
        }
        sendJson(res, 200, json.createObjectNode().put("prompt", tokenizer.decode(ids)));
    }

    private void sendError(ServerResponse res, VllmError e) {
        if (res.isSent()) {
            return;
        }
        ObjectNode b = json.createObjectNode();
        ObjectNode err = b.putObject("error");
        err.put("message", e.getMessage()).put("type", e.type());
        putNullable(err, "param", e.param());
        err.put("code", e.status());
        sendJson(res, e.status(), b);
    }

    private void sendJson(ServerResponse res, int status, JsonNode body) {
        res.status(Status.create(status));
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        try {
            res.send(json.writeValueAsBytes(body));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** vLLM serializes every field: an absent value is an explicit null. */
    private static void putNullable(ObjectNode o, String field, String value) {
        if (value == null) {
            o.putNull(field);
        } else {
            o.put(field, value);
        }
    }

    private static void sleep(long millis) throws InterruptedException {
        if (millis > 0) {
            Thread.sleep(millis);
        }
    }
}
