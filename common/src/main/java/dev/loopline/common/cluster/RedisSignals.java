package dev.loopline.common.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.json.Json;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.JedisPubSub;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@link Signals} over Redis pub/sub: one channel per topic under the configured prefix
 * ({@code <prefix>signal:<topic>}), each message {@code {"from": process, "body": …}} so a process
 * skips its own. One connection subscribes (to the prefix's pattern, so topics may be added at any
 * time) on a daemon thread that reconnects after a second when Redis goes away; what is published
 * meanwhile is lost, which the callers accept (a cancel that reaches nobody leaves the run to its
 * own timeout).
 */
public final class RedisSignals implements Signals {
    private static final Logger LOG = Logger.getLogger(RedisSignals.class.getName());
    private final String process = UUID.randomUUID().toString();
    private final URI uri;
    private final String channelPrefix;
    private final JedisPooled publisher;
    private final Map<String, List<Consumer<JsonNode>>> handlers = new ConcurrentHashMap<>();
    private final CountDownLatch subscribed = new CountDownLatch(1);
    private final Thread listener;
    private volatile JedisPubSub pubSub;
    private volatile boolean closed;

    public RedisSignals(String url, String prefix) {
        this.uri = URI.create(url);
        this.channelPrefix = prefix + "signal:";
        this.publisher = new JedisPooled(uri);
        this.listener = Thread.ofPlatform().daemon().name("redis-signals").start(this::listen);
    }

    /** Waits until the subscription is live (tests, and a start that must not miss early messages). */
    public boolean awaitSubscribed(long millis) throws InterruptedException {
        return subscribed.await(millis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void publish(String topic, ObjectNode message) {
        ObjectNode envelope = Json.object().put("from", process);
        envelope.set("body", message);
        try {
            publisher.publish(channelPrefix + topic, Json.string(envelope));
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "could not publish a " + topic + " signal: " + e.getMessage());
        }
    }

    @Override
    public void subscribe(String topic, Consumer<JsonNode> handler) {
        handlers.computeIfAbsent(topic, t -> new CopyOnWriteArrayList<>()).add(handler);
    }

    @Override
    public boolean shared() {
        return true;
    }

    private void listen() {
        while (!closed) {
            JedisPubSub sub = new JedisPubSub() {
                @Override
                public void onPSubscribe(String pattern, int count) {
                    subscribed.countDown();
                }

                @Override
                public void onPMessage(String pattern, String channel, String message) {
                    deliver(channel, message);
                }
            };
            pubSub = sub;
            try (Jedis jedis = new Jedis(uri)) {
                jedis.psubscribe(sub, channelPrefix + "*");
            } catch (RuntimeException e) {
                if (!closed) {
                    LOG.log(Level.WARNING, "Redis signals lost their subscription (" + e.getMessage() + "); retrying in 1 s");
                    try {
                        Thread.sleep(1000);
                    } catch (InterruptedException ie) {
                        return;
                    }
                }
            }
        }
    }

    private void deliver(String channel, String message) {
        JsonNode envelope;
        try {
            envelope = Json.parse(message);
        } catch (RuntimeException e) {
            return; // not ours
        }
        if (process.equals(envelope.path("from").asText())) {
            return;
        }
        String topic = channel.substring(channelPrefix.length());
        for (Consumer<JsonNode> h : handlers.getOrDefault(topic, List.of())) {
            try {
                h.accept(envelope.path("body"));
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "a " + topic + " signal handler failed", e);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        JedisPubSub sub = pubSub;
        if (sub != null && sub.isSubscribed()) {
            try {
                sub.punsubscribe();
            } catch (RuntimeException ignored) {
                // the connection is going anyway
            }
        }
        listener.interrupt();
        publisher.close();
    }
}
