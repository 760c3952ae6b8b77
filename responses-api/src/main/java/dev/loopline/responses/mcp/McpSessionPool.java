package dev.loopline.responses.mcp;

import dev.loopline.common.auth.Principal;
import okhttp3.OkHttpClient;

import java.time.Duration;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Sessions with loopline's own mcp-tools, kept between responses: opening one costs two round
 * trips (initialize, notifications/initialized) and closing one a third, on every response
 * otherwise. A session belongs to one principal (mcp-tools checks that), so they are pooled per
 * tenant and user; each borrow carries the caller's current token. A session that was cancelled
 * or whose connection failed is closed instead of returned; idle ones expire before mcp-tools
 * would forget them, and at most a few per principal are kept.
 */
public final class McpSessionPool implements AutoCloseable {
    private record Idle(McpToolClient client, long since) {
    }

    private final OkHttpClient http;
    private final Supplier<String> url;
    private final Duration maxIdle;
    private final int perPrincipal;
    private final int total;
    private final Map<String, Deque<Idle>> idle = new ConcurrentHashMap<>();
    private final AtomicInteger idleCount = new AtomicInteger();

    public McpSessionPool(OkHttpClient http, Supplier<String> url, Duration maxIdle, int perPrincipal, int total) {
        this.http = http;
        this.url = url;
        this.maxIdle = maxIdle;
        this.perPrincipal = perPrincipal;
        this.total = total;
    }

    private static String key(Principal who) {
        return who.tenantId() + '\u0000' + who.userId();
    }

    public McpToolClient borrow(Principal who, String bearer) {
        Deque<Idle> q = idle.get(key(who));
        long now = System.nanoTime();
        for (Idle i; q != null && (i = q.pollFirst()) != null; ) {
            idleCount.decrementAndGet();
            if (now - i.since() < maxIdle.toNanos()) {
                i.client().headers(Map.of("Authorization", bearer));
                return i.client();
            }
            i.client().close();
        }
        return new McpToolClient(http, url.get(), Map.of("Authorization", bearer), "mcp-tools");
    }

    public void release(Principal who, McpToolClient client) {
        if (!client.reusable() || idleCount.get() >= total) {
            client.close();
            return;
        }
        Deque<Idle> q = idle.computeIfAbsent(key(who), k -> new ConcurrentLinkedDeque<>());
        if (q.size() >= perPrincipal) {
            client.close();
            return;
        }
        q.offerFirst(new Idle(client, System.nanoTime()));
        idleCount.incrementAndGet();
    }

    @Override
    public void close() {
        idle.values().forEach(q -> {
            for (Idle i; (i = q.pollFirst()) != null; ) {
                i.client().close();
            }
        });
        idleCount.set(0);
    }
}
