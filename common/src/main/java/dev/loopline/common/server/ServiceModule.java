package dev.loopline.common.server;

import dev.loopline.common.observe.Health;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.websocket.WsRouting;

/**
 * One loopline service (responses-api, llm-proxy, mcp-tools, …) as the launcher sees it: a name,
 * its routes (absolute paths, the same in the all-in-one server and when run alone), and the
 * readiness checks of what it depends on.
 */
public interface ServiceModule extends AutoCloseable {
    String name();

    void routing(HttpRouting.Builder routing);

    /** Its WebSocket endpoints, if it has any (absolute paths; a WebSocket upgrade bypasses the HTTP routing and its filters). */
    default void webSockets(WsRouting.Builder routing) {
    }

    default void readiness(Health health) {
    }

    /** Called once the server listens (e.g. to learn its own port). */
    default void started(int port) {
    }

    /** Called before the server stops taking requests (e.g. to stop background work while its dependencies still answer). */
    default void stopping() {
    }

    @Override
    default void close() {
    }
}
