package dev.loopline.proxy.limits;

import redis.clients.jedis.JedisPooled;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Counters in Redis ({@code LOOPLINE_REDIS_URL}), shared by every proxy replica. Increment and
 * expiry happen in one Lua script, so a window never lives forever after a crash between them.
 */
public final class RedisLimitStore implements LimitStore {
    private static final String ADD = "local v = redis.call('INCRBY', KEYS[1], ARGV[1]) "
            + "if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return v";
    private static final String ADD_SEEDED = "redis.call('SET', KEYS[1], ARGV[2], 'NX') return redis.call('INCRBY', KEYS[1], ARGV[1])";
    private final JedisPooled redis;
    private final String prefix;

    public RedisLimitStore(String url, String prefix) {
        this.redis = new JedisPooled(URI.create(url));
        this.prefix = prefix;
    }

    @Override
    public long add(String key, long delta, Duration ttl) {
        Object v = redis.eval(ADD, List.of(prefix + key), List.of(Long.toString(delta), Long.toString(ttl.toMillis())));
        return ((Number) v).longValue();
    }

    @Override
    public long get(String key) {
        String v = redis.get(prefix + key);
        return v == null ? 0 : Long.parseLong(v);
    }

    @Override
    public long addSeeded(String key, long delta, LongSupplier initial) {
        String k = prefix + key;
        if (redis.exists(k)) {
            return redis.incrBy(k, delta);
        }
        Object v = redis.eval(ADD_SEEDED, List.of(k), List.of(Long.toString(delta), Long.toString(initial.getAsLong())));
        return ((Number) v).longValue();
    }

    public boolean ping() {
        try {
            return "PONG".equals(redis.ping());
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override
    public void close() {
        redis.close();
    }
}
