package dev.loopline.common.server;

import dev.loopline.common.auth.AuthFilter;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.errors.ErrorMapping;
import dev.loopline.common.errors.TransportErrors;
import dev.loopline.common.http.RequestIdFilter;
import dev.loopline.common.observe.HttpMetricsFilter;
import dev.loopline.common.observe.RouteLabels;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.websocket.WsConfig;
import io.helidon.webserver.websocket.WsRouting;

import java.util.List;

/**
 * Builds the HTTP server for a set of service modules: request ids, metrics, auth on
 * {@code /v1} and {@code /mcp}, the error mapping, {@code /health/*} and {@code /metrics}.
 * The all-in-one launcher passes every module; {@code --service NAME} passes one.
 */
public final class PlatformServer {
    private PlatformServer() {
    }

    public static final List<String> PROTECTED_PREFIXES = List.of("/v1", "/mcp");

    public static void routing(HttpRouting.Builder routing, Platform platform, List<? extends ServiceModule> modules) {
        routing.addFilter(new RequestIdFilter())
                .addFilter(new HttpMetricsFilter(platform.metrics()))
                .addFilter(new AuthFilter(platform.authenticator(), PROTECTED_PREFIXES,
                        platform.mcpAuthRequired() ? List.of() : List.of("/mcp", "/v1/mcp")));
        ErrorMapping.install(routing);
        routing.register("/health", platform.health());
        routing.get("/metrics", (req, res) -> {
            res.header(HeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
            res.send(platform.metrics().scrape());
        });
        for (ServiceModule m : modules) {
            m.routing(routing);
            m.readiness(platform.health());
        }
        // Unknown paths get the OpenAI error shape too, never an HTML page.
        routing.any((req, res) -> {
            RouteLabels.mark(req, RouteLabels.UNMATCHED);
            throw new ApiException(404, "invalid_request_error",
                    "Unknown request URL: " + req.prologue().method().text() + " " + req.path().path() + ".",
                    null, "unknown_url");
        });
    }

    public static WsRouting.Builder webSockets(List<? extends ServiceModule> modules) {
        WsRouting.Builder ws = WsRouting.builder();
        modules.forEach(m -> m.webSockets(ws));
        return ws;
    }

    public static WebServer start(Platform platform, List<? extends ServiceModule> modules, String host, int port) {
        WebServer server = WebServer.builder()
                .host(host)
                .port(port)
                // Streams are many small writes: Nagle would hold each event back for an ACK.
                .connectionOptions(o -> o.tcpNoDelay(true))
                // Errors before routing (bad HTTP, URI or headers too long, no Host) in the OpenAI error JSON too.
                .directHandlers(TransportErrors.handlers())
                .routing(r -> routing(r, platform, modules))
                .addRouting(webSockets(modules))
                // A WebSocket message may be as large as a request body (an agent's whole context).
                .addProtocol(WsConfig.builder().maxFrameLength((int) Math.min(Integer.MAX_VALUE, platform.maxBodyBytes())).build())
                .build()
                .start();
        platform.urls().selfPort(server.port());
        for (ServiceModule m : modules) {
            m.started(server.port());
        }
        return server;
    }
}
