package dev.loopline.common.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.config.Settings;
import dev.loopline.common.config.SharedSettings;

import java.util.function.Consumer;

/**
 * Short messages from one process to the other replicas of its services, for the little state
 * that lives inside one request on one replica and must be reached from any other: a sandbox run
 * cancelled by {@code run_id}, a 2025 MCP session's {@code notifications/cancelled} or a client's
 * answer to a server request that a load balancer sent elsewhere. At most once and best effort,
 * never storage: what must survive a crash is in the database. A message is never delivered back
 * to the process that published it (it handles its own case before publishing).
 *
 * <p>With {@code LOOPLINE_REDIS_URL} the replicas talk over Redis pub/sub ({@link RedisSignals});
 * without it there are no other replicas to reach ({@link #NONE}).
 */
public interface Signals extends AutoCloseable {
    /** One process alone: publishing reaches nobody. */
    Signals NONE = new Signals() {
        @Override
        public void publish(String topic, ObjectNode message) {
        }

        @Override
        public void subscribe(String topic, Consumer<JsonNode> handler) {
        }

        @Override
        public boolean shared() {
            return false;
        }

        @Override
        public void close() {
        }
    };

    /** Sends {@code message} to every other process subscribed to {@code topic}. */
    void publish(String topic, ObjectNode message);

    /** Calls {@code handler} (on the signals' own thread: keep it short) for each message other processes publish on {@code topic}. */
    void subscribe(String topic, Consumer<JsonNode> handler);

    /** True when other processes can be reached. */
    boolean shared();

    @Override
    void close();

    /** Redis when the replicas share one ({@code LOOPLINE_REDIS_URL}), else {@link #NONE}. */
    static Signals from(Settings s) {
        return SharedSettings.redis(s).<Signals>map(r -> new RedisSignals(r.url(), r.prefix())).orElse(NONE);
    }
}
