package dev.loopline.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.audit.AuditLog;
import dev.loopline.common.auth.AuthenticatedUser;
import dev.loopline.common.auth.Principal;
import dev.loopline.common.config.Settings;
import dev.loopline.common.config.SharedSettings;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.http.JsonBodies;
import dev.loopline.common.http.RequestContext;
import dev.loopline.common.json.Json;
import dev.loopline.common.net.ImageUrls;
import dev.loopline.common.observe.Health;
import dev.loopline.common.server.Platform;
import dev.loopline.common.server.ServiceModule;
import dev.loopline.proxy.cache.ResponseCache;
import dev.loopline.proxy.forward.RelayOutcome;
import dev.loopline.proxy.forward.UpstreamForwarder;
import dev.loopline.proxy.forward.UsageRequest;
import dev.loopline.proxy.limits.AdmissionControl;
import dev.loopline.proxy.limits.InMemoryLimitStore;
import dev.loopline.proxy.limits.LimitStore;
import dev.loopline.proxy.limits.Limits;
import dev.loopline.proxy.limits.ProjectLimits;
import dev.loopline.proxy.limits.RedisLimitStore;
import dev.loopline.proxy.limits.UserLimits;
import dev.loopline.proxy.observe.ProxyMetrics;
import dev.loopline.proxy.routing.UpstreamPool;
import dev.loopline.proxy.usage.UsageApi;
import dev.loopline.proxy.usage.UsageRecord;
import dev.loopline.proxy.usage.UsageRecorder;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.TreeSet;

/**
 * llm-proxy: the OpenAI-compatible gateway every model call goes through
 * ({@code /v1/chat/completions}, {@code /v1/completions}, {@code /v1/embeddings}, {@code /v1/models},
 * {@code /v1/usage}). Per request: validate, apply the caller's limits and budget, optionally
 * answer from the cache, wait for a place at the model (admission control), relay to a replica,
 * account the usage.
 */
public final class LlmProxyModule implements ServiceModule {
    private static final HeaderName SESSION_HEADER = HeaderNames.create("X-Session-Id");
    private static final HeaderName CACHE_HEADER = HeaderNames.create("X-Loopline-Cache");
    private static final System.Logger LOG = System.getLogger(LlmProxyModule.class.getName());
    private final Platform platform;
    private final UpstreamPool pool;
    private final UpstreamForwarder forwarder;
    private final Limits limits;
    private final ProjectLimits projectLimits;
    private final AdmissionControl admission;
    private final UsageRecorder usage;
    private final ResponseCache cache;
    private final ImageUrls imageUrls;
    private final ProxyMetrics metrics;
    private final int affinityPrefixChars;
    private final boolean affinity;
    private Thread refresher;
    private volatile boolean running = true;

    public LlmProxyModule(Platform platform, String upstreams) {
        this.platform = platform;
        Settings s = platform.settings();
        this.pool = new UpstreamPool(UpstreamPool.parse(upstreams),
                UpstreamPool.parseAliases(s.optional("LOOPLINE_LLM_MODEL_ALIASES", "loopline.llm.model-aliases").orElse(null)),
                platform.http().client(),
                s.optional("LOOPLINE_LLM_UPSTREAM_API_KEY", "loopline.llm.upstream-api-key").orElse(null));
        pool.affinitySlack(s.integer("LOOPLINE_LLM_AFFINITY_SLACK", "loopline.llm.affinity-slack", 4));
        this.affinity = s.bool("LOOPLINE_LLM_AFFINITY", "loopline.llm.affinity", true);
        this.affinityPrefixChars = s.integer("LOOPLINE_LLM_AFFINITY_PREFIX_CHARS", "loopline.llm.affinity-prefix-chars", 1024);
        Duration deadline = SharedSettings.llmTimeout(s);
        this.forwarder = new UpstreamForwarder(pool, platform.http().client(),
                s.integer("LOOPLINE_LLM_FAILURE_THRESHOLD", "loopline.llm.failure-threshold", 3),
                s.duration("LOOPLINE_LLM_CIRCUIT_COOLDOWN", "loopline.llm.circuit-cooldown", Duration.ofSeconds(10)).toMillis(), deadline);
        LimitStore store = SharedSettings.redis(s).<LimitStore>map(redis -> new RedisLimitStore(redis.url(), redis.prefix()))
                .orElseGet(InMemoryLimitStore::new);
        this.limits = new Limits(store, platform.database(), new UserLimits(
                s.longValue("LOOPLINE_LIMIT_REQUESTS_PER_HOUR", "loopline.limits.requests-per-hour", 0),
                s.longValue("LOOPLINE_LIMIT_TOKENS_PER_MINUTE", "loopline.limits.tokens-per-minute", 0),
                s.longValue("LOOPLINE_LIMIT_TOKEN_BUDGET", "loopline.limits.token-budget", 0)));
        this.projectLimits = new ProjectLimits(store, platform.database(), platform.spend());
        platform.projectPolicies().onChange(project -> projectLimits.changed());
        this.admission = new AdmissionControl(
                s.integer("LOOPLINE_LLM_MAX_IN_FLIGHT", "loopline.llm.max-in-flight", 512),
                s.integer("LOOPLINE_LLM_MAX_QUEUED", "loopline.llm.max-queued", 1024),
                s.duration("LOOPLINE_LLM_QUEUE_WAIT", "loopline.llm.queue-wait", Duration.ofSeconds(10)).toMillis());
        this.usage = new UsageRecorder(platform.database(), 100);
        this.imageUrls = ImageUrls.fromSettings(s, platform.http().client());
        this.cache = s.bool("LOOPLINE_LLM_CACHE", "loopline.llm.cache.enabled", false)
                ? new ResponseCache(s.duration("LOOPLINE_LLM_CACHE_TTL", "loopline.llm.cache.ttl", Duration.ofHours(1)),
                s.longValue("LOOPLINE_LLM_CACHE_MAX_ENTRIES", "loopline.llm.cache.max-entries", 10_000))
                : null;
        this.metrics = new ProxyMetrics(platform.metrics().registry(), pool);
    }

    /** The models the upstreams serve (and their aliases): the Administration API's rate limits list one entry each. */
    public Set<String> models() {
        return pool.allModels();
    }

    @Override
    public String name() {
        return "llm-proxy";
    }

    public UsageRecorder usage() {
        return usage;
    }

    @Override
    public void routing(HttpRouting.Builder routing) {
        routing.post("/v1/chat/completions", (req, res) -> relay(req, res, "/v1/chat/completions", "messages"))
                .post("/v1/completions", (req, res) -> relay(req, res, "/v1/completions", "prompt"))
                .post("/v1/embeddings", (req, res) -> relay(req, res, "/v1/embeddings", "input"))
                .post("/v1/tokenize", this::tokenize)
                .get("/v1/models", this::models)
                .get("/v1/usage", new UsageApi(platform.database(), limits)::handle);
    }

    @Override
    public void readiness(Health health) {
        // Every replica shares the upstreams: their health is reported, never a reason to drop this replica.
        health.addInformationalCheck("llm-upstreams", pool::anyHealthy, () -> {
            ObjectNode d = Json.object();
            d.put("healthy", pool.upstreams().stream().filter(u -> u.healthy()).count()).put("total", pool.upstreams().size());
            return d;
        });
        if (limits.store() instanceof RedisLimitStore redis) {
            health.addReadinessCheck("redis", redis::ping);
        }
    }

    @Override
    public void started(int port) {
        pool.refresh();
        refresher = Thread.ofVirtual().name("llm-upstream-refresh").start(() -> {
            while (running) {
                try {
                    Thread.sleep(Duration.ofSeconds(2));
                    pool.refresh();
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "upstream refresh failed", e);
                }
            }
        });
    }

    private void relay(ServerRequest req, ServerResponse res, String path, String requiredField) throws InterruptedException {
        long start = System.nanoTime();
        Principal who = AuthenticatedUser.require();
        byte[] raw = JsonBodies.readBytes(req, platform.maxBodyBytes());
        ObjectNode body = JsonBodies.parseObject(raw);
        boolean rewritten = false;
        String model = validate(body, requiredField, path);
        boolean stream = body.path("stream").asBoolean(false);
        String resolved = pool.resolve(model).orElseThrow(() -> new ApiException(404, "invalid_request_error",
                "The model `" + model + "` does not exist or you do not have access to it.", "model", "model_not_found"));
        platform.projectPolicies().requireModel(AuditLog.Actor.of(who, req), model, path);
        try {
            limits.admit(who);
            projectLimits.admit(who.tenantId(), model);
        } catch (Limits.LimitExceeded e) {
            metrics.refused(e.refusal().name().toLowerCase());
            account(who, path, resolved, null, e.status(), stream, false, start, 0, 0, 0, 0);
            throw e;
        }
        if (!resolved.equals(model)) {
            body.put("model", resolved);
            rewritten = true;
        }
        // The model server never fetches a user-given image URL itself: loopline does, through the address policy.
        if (path.equals("/v1/chat/completions") && imageUrls.inlineChatImages(body)) {
            rewritten = true;
        }
        String cacheKey = cache != null && !stream && ResponseCache.deterministic(body) ? ResponseCache.key(who.tenantId(), path, body) : null;
        if (cacheKey != null) {
            byte[] hit = cache.get(cacheKey).orElse(null);
            if (hit != null) {
                res.header(HeaderNames.CONTENT_TYPE, "application/json");
                res.header(CACHE_HEADER, "hit");
                res.send(hit);
                account(who, path, resolved, null, 200, false, true, start, 0, 0, 0, 0);
                return;
            }
        }
        boolean clientWantsUsage = body.path("stream_options").path("include_usage").asBoolean(false);
        byte[] upstreamBody = raw;
        if (stream && !clientWantsUsage) {
            // Ask for the usage chunk so the stream can be accounted; it is not passed on.
            if (!rewritten && !body.has("stream_options") && !body.isEmpty()) {
                upstreamBody = UsageRequest.added(raw);
            } else {
                ObjectNode so = body.path("stream_options").isObject() ? (ObjectNode) body.get("stream_options") : body.putObject("stream_options");
                so.put("include_usage", true);
                rewritten = true;
            }
        }
        try {
            admission.enter(resolved);
        } catch (ApiException e) {
            metrics.refused("admission");
            account(who, path, resolved, null, e.status(), stream, false, start, 0, 0, 0, 0);
            throw e;
        }
        metrics.watchQueue(resolved, admission);
        RelayOutcome o;
        try {
            // Bodies pass through as the client sent them unless we had to change more than add the usage request.
            o = forwarder.forward(path, resolved, rewritten ? Json.bytes(body) : upstreamBody, stream, stream && !clientWantsUsage, affinityKey(req, body), req, res);
        } catch (ApiException e) {
            account(who, path, resolved, null, e.status(), stream, false, start, 0, 0, 0, 0);
            throw e;
        } catch (UpstreamForwarder.ClientGone e) {
            // 499 (nginx's "client closed request"): recorded, and nothing to send.
            account(who, path, resolved, null, 499, stream, false, start, 0, 0, 0, 0);
            LOG.log(System.Logger.Level.INFO, "client went away while the model worked; upstream call cancelled");
            return;
        } finally {
            admission.leave(resolved);
        }
        long ttft = o.firstByteNanos() > 0 ? o.firstByteNanos() - start : 0;
        account(who, path, resolved, o.upstream(), o.status(), stream, false, start, ttft, o.promptTokens(), o.completionTokens(), o.cachedTokens());
        metrics.request(resolved, o.upstream(), o.status(), System.nanoTime() - start, ttft, o.promptTokens(), o.completionTokens(), o.retries());
        limits.charge(who, o.promptTokens() + o.completionTokens());
        projectLimits.charge(who.tenantId(), model, o.promptTokens() + o.completionTokens());
        if (cacheKey != null && o.status() == 200 && o.body() != null) {
            cache.put(cacheKey, o.body());
        }
    }

    /**
     * vLLM's {@code POST /tokenize} ({@code prompt}, or {@code messages} with the chat template,
     * {@code add_generation_prompt} and {@code tools}) on a replica serving the model, so callers
     * count tokens with the model's own tokenizer and template. Authenticated like every route here;
     * no rate limit, budget or admission (it runs no generation) and no usage row.
     */
    private void tokenize(ServerRequest req, ServerResponse res) {
        AuthenticatedUser.require();
        ObjectNode body = JsonBodies.parseObject(JsonBodies.readBytes(req, platform.maxBodyBytes()));
        String model = validate(body, body.has("messages") ? "messages" : "prompt", "/tokenize");
        if (body.has("prompt") && !body.get("prompt").isTextual()) {
            throw ApiException.badRequest("prompt", "Invalid type for 'prompt': expected a string.");
        }
        String resolved = pool.resolve(model).orElseThrow(() -> new ApiException(404, "invalid_request_error",
                "The model `" + model + "` does not exist or you do not have access to it.", "model", "model_not_found"));
        body.put("model", resolved);
        body.remove("stream");
        try {
            forwarder.forward("/tokenize", resolved, Json.bytes(body), false, false, null, req, res);
        } catch (UpstreamForwarder.ClientGone e) {
            LOG.log(System.Logger.Level.DEBUG, "client went away during a tokenize call");
        }
    }

    private void account(Principal who, String endpoint, String model, String upstream, int status, boolean stream, boolean fromCache,
                         long startNanos, long ttftNanos, long prompt, long completion, long cached) {
        long latency = System.nanoTime() - startNanos;
        if (upstream == null) {
            metrics.request(model, null, status, latency, 0, 0, 0, 0);
        }
        usage.record(new UsageRecord(RequestContext.requestId(), who.tenantId(), who.userId(), endpoint, model, upstream, prompt,
                completion, cached, latency / 1_000_000, ttftNanos > 0 ? ttftNanos / 1_000_000 : null, status, stream, fromCache,
                Instant.now().getEpochSecond(), who.keyId()));
    }

    /** 400s naming the field, before anything else happens. */
    private static String validate(ObjectNode body, String requiredField, String path) {
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
        if (stream != null && stream.asBoolean() && path.equals("/v1/embeddings")) {
            throw ApiException.badRequest("stream", "Embeddings cannot be streamed.");
        }
        JsonNode so = body.get("stream_options");
        if (so != null && !so.isNull() && !so.isObject()) {
            throw ApiException.badRequest("stream_options", "Invalid type for 'stream_options': expected an object.");
        }
        return model.asText();
    }

    /**
     * What ties a request to a replica: an explicit session ({@code X-Session-Id},
     * {@code prompt_cache_key}), else the start of the conversation (its messages up to the first
     * user message, at most {@code LOOPLINE_LLM_AFFINITY_PREFIX_CHARS}), so later turns of one
     * conversation, and requests sharing a long system prompt, reach the replica that has that
     * prefix in its KV cache. Short prefixes are not worth it: those requests go by load.
     */
    private String affinityKey(ServerRequest req, ObjectNode body) {
        if (!affinity) {
            return null;
        }
        var header = req.headers().first(SESSION_HEADER);
        if (header.isPresent()) {
            return "s:" + header.get();
        }
        if (body.path("prompt_cache_key").isTextual()) {
            return "s:" + body.get("prompt_cache_key").asText();
        }
        JsonNode messages = body.get("messages");
        StringBuilder prefix = new StringBuilder();
        if (messages != null && messages.isArray()) {
            for (JsonNode m : messages) {
                JsonNode c = m.path("content");
                prefix.append(m.path("role").asText()).append(':').append(c.isTextual() ? c.asText() : c.toString()).append('\n');
                if (prefix.length() >= affinityPrefixChars || "user".equals(m.path("role").asText())) {
                    break;
                }
            }
        } else if (body.path("prompt").isTextual()) {
            prefix.append(body.get("prompt").asText());
        }
        if (prefix.length() < 256) {
            return null;   // too short to be worth a cache hit: spread by load
        }
        return "p:" + prefix.substring(0, Math.min(prefix.length(), affinityPrefixChars));
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
        usage.close();
        forwarder.close();
        try {
            limits.store().close();
        } catch (Exception ignored) {
            // closing a client
        }
    }
}
