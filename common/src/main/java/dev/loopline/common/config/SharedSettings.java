package dev.loopline.common.config;

import java.time.Duration;
import java.util.Optional;

/**
 * Settings that more than one service reads, each read here once, so that its default is written
 * once and every service agrees on it.
 */
public final class SharedSettings {
    private SharedSettings() {
    }

    /** The whole deadline of a model call: llm-proxy's to the model server, responses-api's to llm-proxy. */
    public static Duration llmTimeout(Settings s) {
        return s.duration("LOOPLINE_LLM_TIMEOUT", "loopline.llm.timeout", Duration.ofSeconds(300));
    }

    /** The longest a sandboxed run may take: the sandbox enforces it, mcp-tools' python_exec offers it. */
    public static Duration sandboxMaxTimeout(Settings s) {
        return s.duration("LOOPLINE_SANDBOX_MAX_TIMEOUT", "loopline.sandbox.max-timeout", Duration.ofSeconds(60));
    }

    /** A Redis shared by the replicas (llm-proxy's limit counters, mcp-tools' search cache), when one is configured. */
    public record Redis(String url, String prefix) {
    }

    public static Optional<Redis> redis(Settings s) {
        return s.optional("LOOPLINE_REDIS_URL", "loopline.redis.url")
                .map(url -> new Redis(url, s.string("LOOPLINE_REDIS_PREFIX", "loopline.redis.prefix", "loopline:")));
    }
}
