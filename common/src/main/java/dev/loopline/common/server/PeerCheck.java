package dev.loopline.common.server;

import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

import java.io.IOException;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * A readiness check on a peer service this one calls (responses-api on llm-proxy and mcp-tools,
 * mcp-tools on the vector store): the peer's {@code /health/live} answers within a second. A peer
 * in this same process (the all-in-one default) passes without a call. The answer is kept for
 * {@link #TTL}, so probes of many balancers do not multiply calls.
 */
public final class PeerCheck implements Supplier<Boolean> {
    static final Duration TTL = Duration.ofSeconds(2);
    private final OkHttpClient http;
    private final Supplier<String> url;
    private final ServiceUrls urls;
    private volatile boolean last;
    private volatile long checkedAt;

    public PeerCheck(OkHttpClient http, Supplier<String> url, ServiceUrls urls) {
        this.http = http.newBuilder().callTimeout(Duration.ofSeconds(1)).build();
        this.url = url;
        this.urls = urls;
    }

    @Override
    public Boolean get() {
        String peer = url.get();
        if (urls.isSelf(peer)) {
            return true;
        }
        long now = System.nanoTime();
        if (checkedAt != 0 && now - checkedAt < TTL.toNanos()) {
            return last;
        }
        boolean up;
        try (Response r = http.newCall(new Request.Builder().url(peer + "/health/live").build()).execute()) {
            up = r.isSuccessful();
        } catch (IOException | RuntimeException e) {
            up = false;
        }
        last = up;
        checkedAt = now;
        return up;
    }
}
