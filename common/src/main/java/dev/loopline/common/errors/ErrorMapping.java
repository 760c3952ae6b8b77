package dev.loopline.common.errors;

import dev.loopline.common.http.RequestContext;
import dev.loopline.common.json.Json;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerResponse;

import java.lang.System.Logger.Level;

/**
 * The one mapping from exceptions to OpenAI-shaped error responses. Every routing in every service
 * installs it, so no handler can leak a stack trace or an HTML error page.
 */
public final class ErrorMapping {
    private static final System.Logger LOG = System.getLogger(ErrorMapping.class.getName());

    private ErrorMapping() {
    }

    public static void install(HttpRouting.Builder routing) {
        routing.error(ApiException.class, (req, res, e) -> send(res, e));
        routing.error(Throwable.class, (req, res, e) -> {
            if (e instanceof ApiException api) {
                send(res, api);
                return;
            }
            LOG.log(Level.ERROR, "unhandled error on " + req.prologue().method().text() + " "
                    + req.path().path(), e);
            send(res, new ApiException(500, "server_error",
                    "The server had an error while processing your request. Request id: " + RequestContext.requestId(),
                    null, "internal_error"));
        });
    }

    public static void send(ServerResponse res, ApiException e) {
        if (res.isSent()) {
            return;
        }
        res.status(Status.create(e.status()));
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        if (e.retryAfterSeconds() != null) {
            res.header(HeaderNames.RETRY_AFTER, Long.toString(e.retryAfterSeconds()));
        }
        res.send(Json.bytes(ErrorBody.of(e)));
    }
}
